"""Ground floor: named defaults, errors, table columns, versioned data folders, table I/O, the process pool."""
