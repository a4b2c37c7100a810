"""The project's own studies: the Alibaba case, the capex catalogue and the conformance cases."""
