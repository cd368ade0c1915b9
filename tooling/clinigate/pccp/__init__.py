"""Change facts for PCCP classification: what changed between a version and its parent,
and the metric deltas the policies compare. Rego decides; Python only measures.
"""
