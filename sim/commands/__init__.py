"""One module per ``caseflow`` subcommand.

Each module defines ``add(subparsers)``, which registers its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code.
Bad input raises :class:`~sim.errors.SpecError`; :func:`sim.cli.main` turns it into
one message and exit code 2. To add a command, write a module here and list it in
:data:`sim.cli.COMMANDS`.
"""
