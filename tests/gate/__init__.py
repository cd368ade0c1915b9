"""Tests of clinigate.gate."""
