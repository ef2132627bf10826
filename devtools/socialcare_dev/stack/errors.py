class StackError(RuntimeError):
    """A local server could not be installed, started or stopped; the message says why."""
