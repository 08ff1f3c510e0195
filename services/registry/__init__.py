"""The enterprise registry: values, records, the chat form and the CSV import."""
