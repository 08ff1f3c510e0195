"""The office dispatches a case: the dispatch form and the assignment orders it issues."""
