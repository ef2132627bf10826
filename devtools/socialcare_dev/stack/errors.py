from socialcare_dev.process import ProcessError

# The stack's servers are supervised processes (socialcare_dev.process): one error
# type for a server that cannot be installed, started or stopped, whichever step failed.
StackError = ProcessError
