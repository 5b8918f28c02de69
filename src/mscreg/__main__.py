"""``python -m mscreg`` runs the command line."""

from mscreg.cli.app import main

main()
