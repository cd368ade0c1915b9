"""Evidence computed, not typed (DESIGN §14): metrics with intervals from a predictions file.

Needs the ``evidence`` extra (numpy, scipy, pyarrow); imported only by the commands that use it.
"""
