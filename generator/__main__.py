"""`python -m generator` runs the `personas` command."""

from generator.cli import main

if __name__ == "__main__":
    main()
