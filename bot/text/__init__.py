"""Pure Dutch text helpers (no I/O): answer parsing, crisis detection."""
