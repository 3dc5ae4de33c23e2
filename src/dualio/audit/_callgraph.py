"""Project-wide rules: blocking and sync-over-async calls reached through the project's own sync functions
(DIO101/102, DIO201/202), and loop-bound objects created at import time and used from async code (DIO501).

The call graph has an edge from a function to each project sync function it calls (a call to a project class
is a call to its ``__init__``). A sync function *reaches* a blocking call when it makes one itself or calls a
function that reaches one; a breadth-first search backwards from the functions that block directly gives every
function's shortest path, and handles recursion and cycles. Passing a function without calling it
(``asyncio.to_thread(helper)``, ``loop.run_in_executor(None, helper)``, ``functools.partial(helper)``) is no
edge, and async functions are never traversed (each is audited on its own). Calling a generator function runs
none of its body: the body is reached only where the result is iterated (see ``_generators``).
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable

from ._catalog import (
    BLOCKING_FUNCTIONS,
    BLOCKING_METHODS,
    NON_BLOCKING_METHODS,
    SYNC_OVER_ASYNC,
    SYNC_OVER_ASYNC_METHODS,
    SYNC_OVER_ASYNC_WHEN_ITERATED,
)
from ._finding import Finding
from ._generators import BodyShape, body_shape
from ._locate import display, make_finding
from ._model import CallSite, FunctionInfo, ModuleInfo, ProjectIndex, canonical

Classifier = Callable[[CallSite], "str | None"]


def _blocking_method(owner: str, method: str, extra: frozenset[str]) -> bool:
    methods = BLOCKING_METHODS.get(owner)
    if methods is not None and (
        method in methods
        or ("*" in methods and not method.startswith("_") and method not in NON_BLOCKING_METHODS.get(owner, ()))
    ):
        return True
    return bool(extra) and (f"{owner}.{method}" in extra or f"{owner}.*" in extra)


_NON_BLOCKING_WITH_WNOHANG = frozenset({"os.waitpid", "os.wait3", "os.wait4"})


def _mentions(call: ast.Call, name: str) -> bool:
    return any(
        (isinstance(node, ast.Name) and node.id == name) or (isinstance(node, ast.Attribute) and node.attr == name)
        for arg in (*call.args, *(keyword.value for keyword in call.keywords))
        for node in ast.walk(arg)
    )


def blocking_classifier(extra: frozenset[str], index: ProjectIndex | None = None) -> Classifier:
    """A function telling whether a call site blocks, and under which name (from the catalogue or ``extra``).

    A method of a project class that the class does not define is looked up on its external base classes
    (``class Api(requests.Session)``: ``Api().get`` is ``requests.Session.get``).
    """

    def classify(site: CallSite) -> str | None:
        target = site.target
        if target is None:
            return None
        if target in BLOCKING_FUNCTIONS:
            if target in _NON_BLOCKING_WITH_WNOHANG and _mentions(site.node, "WNOHANG"):
                return None  # os.waitpid(pid, os.WNOHANG) returns at once
            return target
        if extra and target in extra:
            return display(target)
        head, _, method = target.rpartition(".")
        if _blocking_method(head, method, extra):
            return target
        if index is not None and head in index.classes and index.resolve(target) is None:
            for base in _external_bases(index, head):
                if _blocking_method(base, method, extra):
                    return f"{base}.{method}"
        return None

    return classify


def _external_bases(index: ProjectIndex, cls: str) -> list[str]:
    """The non-project base classes of a project class, through its project bases (canonical names)."""
    found: list[str] = []
    pending, seen = [cls], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for base in index.classes[current].bases:
            resolved = index.resolve(base)
            if resolved is not None and resolved in index.classes:
                pending.append(resolved)
            else:
                found.append(canonical(base))
    return found


def sync_over_async(site: CallSite) -> str | None:
    """Whether a call site runs an event loop to completion (``asyncio.run``, ``loop.run_until_complete``...)."""
    if site.target is not None:
        known = SYNC_OVER_ASYNC.get(site.target)
        if known is not None:
            return known
    if site.method in SYNC_OVER_ASYNC_METHODS:
        return f"loop.{site.method}"
    return None


# What runs a sync function's code: calling it, or iterating what the call returned (a generator; see
# `_generators`). The call graph's nodes are (function, how it runs).
CALLED, ITERATED = "called", "iterated"
Hop = tuple[CallSite, "tuple[FunctionInfo, str] | None", str]


class CallGraph:
    """Which project sync function each call site calls, and which functions reach a given kind of call.

    A node is a function and how its code runs: ``(f, CALLED)`` is what calling ``f`` runs; ``(g, ITERATED)``
    what iterating the result of ``g(...)`` runs (the body of a generator ``g``, or of the generator a function
    ``g`` returns as it is). A call in a generator's body runs when the generator is iterated.
    """

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.functions: list[FunctionInfo] = [f for module in _unique_modules(index) for f in module.functions]
        self._callee_cache: dict[str, FunctionInfo | None] = {}
        self._shapes: dict[int, BodyShape] = {}
        # (id(callee), how it runs) -> (caller, how the caller runs, the call site) for each edge into it
        self.callers: dict[tuple[int, str], list[tuple[FunctionInfo, str, CallSite]]] = {}
        for function in self.functions:
            if function.is_async or function.offloaded:
                continue
            for site in function.calls:
                callee = None if site.scheduled else self.callee(site)
                if callee is not None:
                    for runs, caller_runs in self._edges(function, site):
                        self.callers.setdefault((id(callee), runs), []).append((function, caller_runs, site))

    def shape(self, function: FunctionInfo) -> BodyShape:
        shape = self._shapes.get(id(function))
        if shape is None:
            shape = self._shapes[id(function)] = body_shape(function.node)
        return shape

    def runs(self, function: FunctionInfo) -> str:
        """How ``function``'s own body runs: ITERATED for a generator, else CALLED."""
        return ITERATED if self.shape(function).generator else CALLED

    def runs_at(self, function: FunctionInfo, site: CallSite, name: str) -> list[str]:
        """How ``function`` must run for the call ``site`` (classified as ``name``) to run the loop or block:
        always when its body runs, except for a call that only builds an iterator (``portal.iterate(...)``),
        which counts where the body iterates it, or, returned as it is, where the caller does."""
        if name not in SYNC_OVER_ASYNC_WHEN_ITERATED:
            return [self.runs(function)]
        shape = self.shape(function)
        found = [self.runs(function)] if id(site.node) in shape.iterated else []
        if id(site.node) in shape.returned:  # only a function that is not a generator has returned calls
            found.append(ITERATED)
        return found

    def _edges(self, caller: FunctionInfo, site: CallSite) -> list[tuple[str, str]]:
        """(how the callee's code runs, how the caller's runs) for each way ``site`` runs the callee's code."""
        shape, body = self.shape(caller), self.runs(caller)
        edges = [(CALLED, body)]
        if id(site.node) in shape.iterated:
            edges.append((ITERATED, body))
        if id(site.node) in shape.returned:
            edges.append((ITERATED, ITERATED))
        return edges

    def entries(self, caller: FunctionInfo, site: CallSite) -> list[str]:
        """How the code of the function that ``site`` (in async ``caller``) calls runs there: called, and
        iterated too when ``caller`` iterates the result itself."""
        if not site.scheduled and id(site.node) in self.shape(caller).iterated:
            return [CALLED, ITERATED]
        return [CALLED]

    def callee(self, site: CallSite) -> FunctionInfo | None:
        """The project sync function ``site`` calls, or ``None`` (unknown, external, async or offloaded)."""
        target = site.target
        if target is None:
            return None
        if target in self._callee_cache:
            return self._callee_cache[target]
        result = None
        resolved = self.index.resolve(target)
        if resolved is not None and resolved in self.index.classes:
            resolved = self.index.resolve(f"{resolved}.__init__")
        if resolved is not None:
            function = self.index.functions.get(resolved)
            if function is not None and not function.is_async and not function.offloaded:
                result = function
        self._callee_cache[target] = result
        return result

    def reach(self, classify: Classifier) -> dict[tuple[int, str], Hop]:
        """For every node (sync function, how it runs) reaching a call ``classify`` accepts: (first call site,
        next node or ``None`` when the site itself is the call, the accepted call's name), along a shortest
        path."""
        hops: dict[tuple[int, str], Hop] = {}
        queue: deque[tuple[FunctionInfo, str]] = deque()
        for function in self.functions:
            if function.is_async or function.offloaded:
                continue
            for site in function.calls:
                name = None if site.scheduled else classify(site)
                if name is None:
                    continue
                for runs in self.runs_at(function, site, name):
                    if (id(function), runs) not in hops:
                        hops[(id(function), runs)] = (site, None, display(name))
                        queue.append((function, runs))
        while queue:
            function, runs = queue.popleft()
            for caller, caller_runs, site in self.callers.get((id(function), runs), ()):
                if (id(caller), caller_runs) not in hops:
                    hops[(id(caller), caller_runs)] = (site, (function, runs), hops[(id(function), runs)][2])
                    queue.append((caller, caller_runs))
        return hops


def _unique_modules(index: ProjectIndex) -> list[ModuleInfo]:
    """Every module once (a module is also registered under its alias names)."""
    seen: dict[int, ModuleInfo] = {}
    for module in index.modules.values():
        seen.setdefault(id(module), module)
    return list(seen.values())


def _path(start: tuple[FunctionInfo, str], hops: dict[tuple[int, str], Hop]) -> list[FunctionInfo]:
    chain = [start[0]]
    current = hops[(id(start[0]), start[1])][1]
    while current is not None and len(chain) < 64:
        chain.append(current[0])
        current = hops[(id(current[0]), current[1])][1]
    return chain


def call_graph_findings(index: ProjectIndex, extra_blocking: frozenset[str], codes: frozenset[str]) -> list[Finding]:
    """DIO101/DIO102 and DIO201/DIO202 findings at every call site of every async function."""
    graph = CallGraph(index)
    is_blocking = blocking_classifier(extra_blocking, index)
    kinds = (
        ("DIO101", "DIO102", is_blocking, "blocking call"),
        ("DIO201", "DIO202", sync_over_async, "sync-over-async call"),
    )
    findings: list[Finding] = []
    for direct_code, via_code, classify, label in kinds:
        if direct_code not in codes and via_code not in codes:
            continue
        hops = graph.reach(classify) if via_code in codes else {}
        for function in graph.functions:
            for site in function.calls:
                if not function.is_async and not site.scheduled:
                    continue
                scheduler = f"{site.node.func.attr}" if isinstance(site.node.func, ast.Attribute) else "loop"
                name = classify(site)
                if name is not None and (
                    name not in SYNC_OVER_ASYNC_WHEN_ITERATED or ITERATED in graph.entries(function, site)
                ):
                    findings.append(_direct(function, site, direct_code, name, scheduler))
                    continue
                callee = graph.callee(site)
                if callee is None:
                    continue
                entry = next(
                    ((callee, runs) for runs in graph.entries(function, site) if (id(callee), runs) in hops), None
                )
                if entry is None:
                    continue
                chain = _path(entry, hops)
                final = hops[(id(callee), entry[1])][2]
                names = [function.local_name, *(link.local_name for link in chain), final]
                if site.scheduled:
                    names[1] = f"loop.{scheduler}({chain[0].local_name})"
                    message = f"{label} run on the event loop: {' -> '.join(names)}"
                else:
                    message = f"{label} reached from async function: {' -> '.join(names)}"
                qualified = (function.qualname, *(link.qualname for link in chain), final)
                findings.append(make_finding(function.module, via_code, site.node, message, qualified))
    return findings


def _direct(function: FunctionInfo, site: CallSite, code: str, name: str, scheduler: str) -> Finding:
    if site.scheduled:
        what = "blocking call" if code == "DIO101" else "sync-over-async call"
        message = (
            f"{what} `{display(BLOCKING_FUNCTIONS.get(name, name))}` scheduled on the event loop with "
            f"`loop.{scheduler}` in `{function.local_name}`"
        )
    elif code == "DIO101":
        described = BLOCKING_FUNCTIONS.get(name, name)
        message = f"blocking call `{display(described)}` in async function `{function.local_name}`"
    else:
        message = (
            f"`{name}` in async function `{function.local_name}` runs an event loop to completion: it deadlocks or "
            "blocks the running loop"
        )
    return make_finding(function.module, code, site.node, message)


def loop_bound_findings(index: ProjectIndex) -> list[Finding]:
    """DIO501: each loop-bound object created at import time and read by at least one async function, directly
    or through a module object built from it (``SessionLocal = async_sessionmaker(engine)``)."""
    created = {
        qualname: (module, call, description, root)
        for module in _unique_modules(index)
        for qualname, call, description, root in module.loop_bound
    }
    if not created:
        return []
    users: dict[str, tuple[FunctionInfo, str, str]] = {}
    for module in _unique_modules(index):
        for function in module.functions:
            if not function.is_async:
                continue
            for ref in function.refs:
                resolved = index.resolve(ref) or ref
                if resolved in created:
                    root = created[resolved][3]
                    if root in created and root not in users:
                        users[root] = (function, ref, resolved)
    findings = []
    for root, (function, ref, via) in users.items():
        module, call, description, _ = created[root]
        short = root.removeprefix(f"{module.name}.")
        through = "" if via == root else f" (through `{via.rpartition('.')[2]}`)"
        user_line = function.refs[ref]
        findings.append(
            make_finding(
                module,
                "DIO501",
                call,
                f"{description} `{short}` is created at import time and used{through} from async function "
                f"`{function.local_name}` ({function.module.source.display}:{getattr(user_line, 'lineno', 0)}): "
                "it binds to the first event loop that uses it",
            )
        )
    return findings
