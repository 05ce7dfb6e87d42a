"""What goes wrong in an offline plan; importable without the Pulumi SDK."""


class PlanError(Exception):
    """The program of a stack failed; the message is the program's own."""
