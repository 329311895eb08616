"""Exception types whose messages a user can act on; the CLI prints them as one line."""


class SupportbotError(Exception):
    """Base class for every error supportbot reports to a user (no traceback unless --debug)."""


class ConfigError(SupportbotError):
    """A config file or --set override is invalid: the message names the file and the key."""


class ModelNotFoundError(SupportbotError):
    """A model name, path or package could not be found."""


class DataError(SupportbotError):
    """Input data is malformed: the message names the file, line and field."""


class NotYetAvailableError(SupportbotError):
    """A command exists in the CLI but its stage has not been built yet."""
