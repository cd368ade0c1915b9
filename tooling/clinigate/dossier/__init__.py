"""Human-readable dossiers: the HTI-1 crosswalk and the charts a model card or audit report shows."""
