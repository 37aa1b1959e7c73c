"""Files to the article table: readers, decoding, statuses, duplicates, chunked reading."""
