"""Exception types whose messages a user can act on; the CLI prints them as one line."""


class SupportbotError(Exception):
    """Base class for every error supportbot reports to a user (no traceback unless --debug)."""


class ConfigError(SupportbotError):
    """A config file or --set override is invalid: the message names the file and the key."""


class ModelNotFoundError(SupportbotError):
    """A model name, path or package could not be found."""


class DataError(SupportbotError):
    """Input data is malformed: the message names the file, line and field."""


class Interrupted(SupportbotError):
    """The user or the system stopped a command (SIGINT / SIGTERM): exit code 128 + the signal number."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
