"""The ``vercel-ui`` format: the Vercel AI SDK's UI message stream (``docs/vercel-ui.md``)."""

from .decoder import VercelUIDecoder

__all__ = ["VercelUIDecoder"]
