"""``make bench``: run every benchmark and print its ratio to the reference."""

from __future__ import annotations

from bench import reliability, rubrics


def main() -> None:
    for module in (rubrics, reliability):
        for comparison in module.run():
            print(comparison)


if __name__ == "__main__":
    main()
