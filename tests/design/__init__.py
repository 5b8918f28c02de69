"""Tests of mscreg.design and the `mscreg design` command."""
