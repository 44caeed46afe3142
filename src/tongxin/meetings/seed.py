"""Demo and benchmark data of meetings (owner fills in)."""


def seed(*, scale, rng, out, context) -> dict:
    return {}
