"""The project's own studies: the Alibaba case, the capex catalogue and the conformance cases.

Not part of the core: import the modules themselves (``from research_lib.cases import alibaba``).
"""
