"""What clinigate generates for GitHub: code owners (and, with the GitHub issue, rulesets)."""
