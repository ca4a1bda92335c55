"""The interview engine (`engine`): pure logic over a case, shared by the CLI and the web app.

Import from the submodules; `mode` is kept light for the command line.
"""
