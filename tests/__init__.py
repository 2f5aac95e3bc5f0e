"""resnetc test suite (a package, so that test modules share tests.conftest and tests.reference)."""
