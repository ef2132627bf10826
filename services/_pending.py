import typer


def pending(issue: int, what: str) -> None:
    """Exit clearly for a role whose implementation has not landed yet."""
    typer.secho(
        f"{what} is not implemented yet (tracked in issue #{issue}).",
        fg=typer.colors.YELLOW,
        err=True,
    )
    raise typer.Exit(2)
