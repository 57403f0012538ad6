"""The one exception type the command line turns into a one-line error (exit code 2)."""


class GptanimError(Exception):
    """A problem with what the user asked for: bad input, a missing model, an unwritable folder."""
