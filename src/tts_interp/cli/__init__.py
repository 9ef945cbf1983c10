"""The typer command-line interface: thin commands that parse, call one library function, print a summary."""
