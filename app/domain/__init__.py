"""The functional core: pure rules and numerics, no database, web or I/O."""
