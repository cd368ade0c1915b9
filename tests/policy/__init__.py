"""Tests of clinigate.policy: real engines (regorus, regopy) on small policy trees in tmp_path."""
