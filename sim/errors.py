"""The one error type users see for bad input: it names the file and the key."""

from __future__ import annotations


class SpecError(Exception):
    """A scenario, parameter or target file is wrong.

    The message always starts with the file and the dotted key, so a user can go
    straight to the line to fix; the CLI prints it and exits with code 2.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {message}")
