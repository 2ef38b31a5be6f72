"""The batch stage: many bundles into documents, in parallel, recorded in the register.

Public API: :func:`run_batch` with :class:`BatchOptions`, returning a :class:`BatchSummary`.
"""

from docgen.batch.executors import ClusterTLS
from docgen.batch.run import BatchOptions, BatchSummary, run_batch

__all__ = ["BatchOptions", "BatchSummary", "ClusterTLS", "run_batch"]
