"""Cases: the schema (`schema`), loading and validation (`loader`), finding cases (`select`).

Import from the submodules; this package stays empty so that the light parts (the competency
enum) can be imported without loading pydantic and PyYAML.
"""
