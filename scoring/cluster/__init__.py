"""``scoring batch`` beyond one machine.

* ``--cluster tcp://HOST:8786`` / ``--cluster local:N``: the same batch on Dask distributed
  workers (:mod:`.runner`, :mod:`.worker`); needs the optional extra ``zwgk-scoring[cluster]``.
* ``--shard i/N``: one stable share of the files, with no cluster at all (:mod:`.shard`);
  ``--merge OUT1 OUT2 …``: one summary and ranking from the shards' outputs (:mod:`.merge`).

Only :mod:`.runner` and :mod:`.worker` import Dask, and only when ``--cluster`` is given.
"""

from __future__ import annotations

from types import ModuleType

from ..errors import InputError, Problem

INSTALL_HINT = (
    "使用 --cluster 需要安装 Dask 分布式组件：pip install 'zwgk-scoring[cluster]'"
    "（或 pip install 'dask[distributed]'）；不用集群时去掉 --cluster 即可在本机运行"
)


def require_distributed() -> ModuleType:
    """``distributed``, or a Chinese message saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise InputError(Problem(f"未安装 Dask 分布式组件（distributed）。{INSTALL_HINT}")) from None
    return distributed
