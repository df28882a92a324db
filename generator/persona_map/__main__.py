"""`python -m persona_map` runs the `personas` command."""

from persona_map.cli import main

if __name__ == "__main__":
    main()
