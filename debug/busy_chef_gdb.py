# busy-chef's gdb extension: pretty-printers for the executor's types, and
# the `busy` commands (tasks, await-tree, timers, queue, break-poll, next).
#
# Book chapter: *Stepping through it in a debugger* (book/src/debugger.md).
#
# It travels inside every binary built with busy-chef: `executor/lib.rs`
# embeds it with `#![debugger_visualizer(gdb_script_file = ...)]`, and gdb
# runs it when it loads the binary, once the binary's folder is trusted:
#
#     add-auto-load-safe-path /path/to/your/project/target
#
# in ~/.config/gdb/gdbinit (gdb prints that line, with the path, the first
# time). `source debug/busy_chef_gdb.py` loads it by hand; loading it twice
# is harmless.
#
# How it finds things, from any frame of the executor's thread:
#   * the executor: `busy_chef::base::debugger::REGISTRY`, a static that
#     `block_on` fills with its `Core`'s address (executor/base/debugger.rs);
#   * the tasks: the executor's task table, a `Slab` of `Arc<dyn Runnable>`;
#     the concrete type behind each `dyn` tells a spawned task (`Task<F>`)
#     from the bare `Header` that stands for `block_on`'s own future;
#   * `block_on`'s own future: the local `future` of the `Executor::block_on`
#     frame (it lives on that stack; the table holds only its header);
#   * the task being polled (its slot in the table is lent out meanwhile):
#     the local `task` of the `Core::run_task` frame;
#   * the tasks' names: the executor's `names` map (a `HashMap` from task
#     id to name), for the tasks whose NAMED flag is set;
#   * an `async fn`'s state machine: the type the compiler calls
#     `{async_fn_env#0}`, whose active variant (`Unresumed`, `Suspend0`, ...,
#     `Returned`, `Panicked`) holds, when suspended, the awaited future in
#     `__awaitee`; following those gives the await chain, from debug info
#     alone.
#
# It reads std's types (Vec, Rc, Cell, Waker...) by their shape, not by the
# names of their private fields, so that a new toolchain does not break it:
# an `Rc` is "a pointer to something whose last field is the value", a
# `Vec` "a pointer and a length", an enum "a hidden discriminant and the
# active variant". (A `HashMap` is the exception: see `hashmap_items`.)
# tests/debugger.rs runs every command on the examples.

import re

import gdb
import gdb.printing

# ---------------------------------------------------------------------------
# Reading values by their shape
# ---------------------------------------------------------------------------


def _type(value):
    return value.type.strip_typedefs()


def _name(value):
    return _type(value).name or str(_type(value))


def _named_fields(value):
    t = _type(value)
    if t.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        return []
    return [f for f in t.fields() if not f.artificial and f.name is not None]


def _has_field(value, name):
    return any(f.name == name for f in _named_fields(value))


def variant(value):
    """(name, fields) of the active variant of a Rust enum, else None.

    gdb resolves a Rust enum read from memory to a type with a hidden
    discriminant field and one field: the active variant."""
    t = _type(value)
    if t.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        return None
    all_fields = t.fields()
    if not all_fields or not any(f.artificial for f in all_fields):
        return None
    active = [f for f in all_fields if not f.artificial]
    if len(active) > 1 and all((f.name or "").isdigit() for f in active):
        # A coroutine not in memory (a returned value): gdb leaves the
        # variants unresolved; its variants are named by their `__state`.
        state = [f for f in all_fields if f.artificial]
        try:
            wanted = str(int(value[state[0]]))
        except (gdb.error, ValueError):
            return None
        active = [f for f in active if f.name == wanted]
    if len(active) != 1:
        return None
    field = active[0]
    name = field.name
    if name is not None and name.isdigit():
        # A coroutine's variants are named by number; their types by state.
        name = (field.type.strip_typedefs().name or name).split("::")[-1]
    return name, value[field]


def unwrap_transparent(value):
    """Through `ManuallyDrop`, `MaybeUninit` and the like: std's one-field
    wrappers in `core::mem`."""
    for _ in range(8):
        fields = _named_fields(value)
        if not _name(value).startswith("core::mem::") or not fields:
            return value
        value = value[fields[0]]
    return value


def option(value):
    """The content of `Some(x)`, or None."""
    v = variant(value)
    if v is None or v[0] != "Some":
        return None
    inner = v[1]
    fields = _named_fields(inner)
    return inner[fields[0]] if fields else None


def _scalar_leaves(value, depth=0):
    """The integers and pointers inside a value, in field order (not
    through pointers, not into enums)."""
    t = _type(value)
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_PTR):
        return [value]
    if t.code == gdb.TYPE_CODE_ENUM:
        return [value]
    if depth > 8 or t.code != gdb.TYPE_CODE_STRUCT or variant(value) is not None:
        return []
    out = []
    for f in _named_fields(value):
        out.extend(_scalar_leaves(value[f], depth + 1))
    return out


def _first_pointer(value):
    for leaf in _scalar_leaves(value):
        if _type(leaf).code == gdb.TYPE_CODE_PTR:
            return leaf
    return None


def plain(value):
    """An atomic, a `Cell`, an `UnsafeCell` or a newtype around one number,
    as that number (a Python int or bool)."""
    leaves = _scalar_leaves(value)
    if len(leaves) != 1:
        raise gdb.GdbError("not a plain value: %s" % _name(value))
    leaf = leaves[0]
    if _type(leaf).code == gdb.TYPE_CODE_BOOL:
        return bool(leaf)
    return int(leaf)


def unwrap_cell(value):
    """The value inside `Cell`/`RefCell`/`UnsafeCell` (their last field)."""
    while _name(value).startswith("core::cell::"):
        fields = _named_fields(value)
        if not fields:
            break
        value = value[fields[-1]]
    return value


def deref(value):
    """Through a reference, a raw pointer, `Pin`, `Box`, `NonNull`..., and
    through a pointer to a `dyn Trait`, to the concrete value."""
    for _ in range(8):
        t = _type(value)
        if t.code == gdb.TYPE_CODE_STRUCT and _has_field(value, "vtable"):
            concrete = dyn_concrete(value)
            return concrete if concrete is not None else value
        if t.code in (gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_REF, gdb.TYPE_CODE_RVALUE_REF):
            target = t.target().strip_typedefs()
            if target.code == gdb.TYPE_CODE_VOID:
                return value
            value = value.dereference()
            continue
        name = _name(value)
        if name.startswith("core::pin::Pin<") or name.startswith("alloc::boxed::Box<"):
            fields = _named_fields(value)
            if name.startswith("core::pin::Pin<") and fields:
                value = value[fields[0]]
            else:
                pointer = _first_pointer(value)
                if pointer is None:
                    return value
                value = pointer
            continue
        return value
    return value


def rc_value(value):
    """What an `Rc`/`Arc` points to (the last field of its allocation)."""
    pointer = _first_pointer(value)
    inner = pointer.dereference()
    fields = _named_fields(inner)
    return inner[fields[-1]]


def _fat_pointer(value):
    """(data pointer, vtable address) of a pointer to a `dyn Trait`."""
    t = _type(value)
    if t.code == gdb.TYPE_CODE_STRUCT and _has_field(value, "vtable"):
        fields = _named_fields(value)
        return value[fields[0]], int(value["vtable"])
    for f in _named_fields(value):
        found = _fat_pointer(value[f])
        if found is not None:
            return found
    return None


def vec_items(value):
    """The elements of a `Vec<T>` (a pointer, a capacity, a length)."""
    element = _type(value).template_argument(0)
    if _has_field(value, "len"):
        length = int(value["len"])
    else:
        length = int(_scalar_leaves(value)[-1])
    data = _first_pointer(value).cast(element.pointer())
    return [data[i] for i in range(length)]


def vecdeque_items(value):
    """The elements of a `VecDeque<T>`, front first: a ring buffer, that is
    a buffer (a pointer and a capacity), the index of the front, a length."""
    element = _type(value).template_argument(0)
    buffer, numbers = None, []
    for f in _named_fields(value):
        inner = value[f]
        if buffer is None and _first_pointer(inner) is not None:
            buffer = inner
        elif _type(inner).code == gdb.TYPE_CODE_INT:
            numbers.append((f.name, int(inner)))
    pointer = _first_pointer(buffer)
    capacity = [int(l) for l in _scalar_leaves(buffer) if _type(l).code == gdb.TYPE_CODE_INT][0]
    named = dict(numbers)
    if "head" in named and "len" in named:
        head, length = named["head"], named["len"]
    else:
        head, length = numbers[0][1], numbers[1][1]
    data = pointer.cast(element.pointer())
    return [data[(head + i) % max(capacity, 1)] for i in range(length)]


def slice_items(value, depth=0):
    """The elements of a `&[T]`, `Box<[T]>` or `Pin<Box<[T]>>`: somewhere
    inside, a data pointer and a length."""
    if _has_field(value, "data_ptr") and _has_field(value, "length"):
        data, length = value["data_ptr"], int(value["length"])
        return [data[i] for i in range(length)]
    if depth < 4:
        for f in _named_fields(value):
            found = slice_items(value[f], depth + 1)
            if found is not None:
                return found
    return None


def hashmap_items(value):
    """The (key, value) pairs of a `HashMap<K, V>`, in no particular order.

    std's map is hashbrown's `RawTable<(K, V)>`: a power-of-two number of
    buckets, one control byte per bucket (top bit clear: the bucket is
    full), and the buckets laid out just *before* the control bytes, bucket
    `i` at `ctrl - (i + 1)` buckets. Two of its numbers (the bucket mask,
    the item count) have the same shape as a third, so this one reads them
    by the names hashbrown has kept since 2020 (`ctrl`, `bucket_mask`,
    `items`), the ones rust-gdb's own HashMap printer reads, and says so
    plainly if a new toolchain renamed them."""
    def find(v, depth):
        """The path from `v` down to the table's inner part, or None."""
        if all(_has_field(v, n) for n in ("ctrl", "bucket_mask", "items")):
            return [v]
        if depth < 6:
            for f in _named_fields(v):
                if _type(v[f]).code == gdb.TYPE_CODE_STRUCT and variant(v[f]) is None:
                    below = find(v[f], depth + 1)
                    if below is not None:
                        return [v] + below
        return None

    path = find(value, 0) or []
    inner = path[-1] if path else None
    # The element type, `(K, V)`: the table's type argument, a tuple.
    element = None
    for outer in reversed(path[:-1]):
        try:
            argument = _type(outer).template_argument(0).strip_typedefs()
        except (RuntimeError, gdb.error):
            continue
        if (argument.name or "").startswith("("):
            element = argument
            break
    if inner is None or element is None:
        raise gdb.GdbError(
            "busy: this toolchain's HashMap is laid out in a way the extension does not know "
            "(no hashbrown table with ctrl, bucket_mask and items in %s)" % _name(value))
    buckets = int(inner["bucket_mask"]) + 1
    items = int(inner["items"])
    ctrl = int(_first_pointer(inner["ctrl"]))
    if items == 0:
        return []
    if buckets & (buckets - 1) or buckets > 1 << 24 or items > buckets:
        raise gdb.GdbError("busy: a HashMap that makes no sense (%d items in %d buckets): "
                           "is it being changed right here?" % (items, buckets))
    control = bytes(gdb.selected_inferior().read_memory(ctrl, buckets))
    data = gdb.Value(ctrl).cast(element.pointer())
    out = []
    for i, byte in enumerate(control):
        if byte & 0x80 == 0:
            pair = (data - (i + 1)).dereference()
            fields = _named_fields(pair)
            out.append((pair[fields[0]], pair[fields[1]]))
    return out


def read_str(value):
    """A `&str`, `String`, `Box<str>` or `Cow<str>` as a Python string."""
    v = variant(value)
    if v is not None:  # Cow: Borrowed(&str) or Owned(String)
        fields = _named_fields(v[1])
        return read_str(v[1][fields[0]])
    if _has_field(value, "data_ptr") and _has_field(value, "length"):
        pointer, length = int(value["data_ptr"]), int(value["length"])
    else:  # String: a Vec<u8>
        vec = value
        while not _has_field(vec, "len") and _named_fields(vec):
            vec = vec[_named_fields(vec)[0]]
        pointer, length = int(_first_pointer(vec)), int(vec["len"])
    if length == 0:
        return ""
    data = gdb.selected_inferior().read_memory(pointer, min(length, 200))
    return bytes(data).decode("utf-8", "replace")


def duration_seconds(value):
    """A `Duration` (seconds, then nanoseconds) as a float."""
    numbers = [int(l) for l in _scalar_leaves(value)]
    return numbers[0] + numbers[1] / 1e9


def seconds(s):
    return "%.3f s" % s


def template_argument(function_name):
    """`T` in `path::to::function<T>` (the last `<...>` of a name)."""
    if not function_name or not function_name.endswith(">"):
        return None
    depth = 0
    for i in range(len(function_name) - 1, -1, -1):
        c = function_name[i]
        if c == ">":
            depth += 1
        elif c == "<":
            depth -= 1
            if depth == 0:
                return function_name[i + 1 : -1]
    return None


def function_at(address):
    """The name of the function at `address`, from the debug info."""
    if not address:
        return None
    try:
        block = gdb.block_for_pc(address)
    except RuntimeError:
        block = None
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None and block.function is not None:
        return block.function.name
    return None


_type_cache = {}


def lookup_type(name):
    if name not in _type_cache:
        try:
            _type_cache[name] = gdb.lookup_type(name)
        except gdb.error:
            _type_cache[name] = None
    return _type_cache[name]


def _words(address, count):
    usize = lookup_type("usize")
    words = gdb.Value(address).cast(usize.pointer())
    return [int(words[i]) for i in range(count)]


def dyn_concrete(value):
    """The value behind a `dyn Trait` pointer (or an `Rc`/`Arc`/`Box` of
    one), as its concrete type, or None. The vtable's first entry is the
    concrete type's `drop_in_place<T>`, which names `T`."""
    found = _fat_pointer(value)
    if found is None:
        return None
    data, vtable = found
    drop, _size, align = _words(vtable, 3)
    concrete = template_argument(function_at(drop))
    t = lookup_type(concrete) if concrete else None
    if t is None:
        return None
    address = int(data)
    target = _type(data).target().strip_typedefs()
    if (target.name or "").startswith(("alloc::sync::ArcInner<", "alloc::rc::RcInner<")):
        # The value comes after the two counters, aligned for its type.
        counters = 2 * lookup_type("usize").sizeof
        address += (counters + align - 1) // align * align
    return gdb.Value(address).cast(t.pointer()).dereference()


# ---------------------------------------------------------------------------
# The executor's own types
# ---------------------------------------------------------------------------

TASK_PREFIX = "busy_chef::runtime::task::Task<"
HEADER = "busy_chef::runtime::task::header::Header"
CORE = "busy_chef::runtime::core::Core"
CHILD_WAKER = "busy_chef::combinators::join::ChildWaker"

# The task flags, from executor/runtime/task/state.rs.
HANDLE, ABORT, DONE, BUSY, OUTPUT, NAMED = 1, 2, 4, 8, 16, 32

# In an empty slab slot, `next` (the next vacant slot) says more
# (executor/collections/slab.rs): NONE ends the vacant list; LENT marks a
# slot whose value is lent out while it is polled.
NONE, LENT = 0xFFFFFFFF, 0xFFFFFFFE


def key_of(value):
    return plain(value["slot"]), plain(value["generation"])


def task_id(header):
    return "task-%d" % plain(header["id"])


def task_names(core):
    """{task id: name}: the executor's map of names (`Core::names`). A task
    keeps its name there from `spawn_named` until it is done."""
    if core is None:
        return {}
    return {plain(k): read_str(v) for k, v in hashmap_items(unwrap_cell(core["names"]))}


def name_of(header, names):
    """A task's name, or None: only a task whose NAMED flag is set has one,
    in `names` (from `task_names`) until it is done."""
    if not plain(header["state"]["flags"]) & NAMED:
        return None
    return names.get(plain(header["id"]))


def task_label(header, names):
    """`task-3 "toast"`, or `task-3` for a task without a name."""
    name = name_of(header, names)
    return task_id(header) + (' "%s"' % name if name else "")


def header_of(runnable):
    """The header of a task table's value: a `Task<F>`'s, or the bare
    `Header` that stands in the table for block_on's own future."""
    return runnable if _name(runnable) == HEADER else runnable["header"]


def is_task(value):
    return _name(value).startswith(TASK_PREFIX)


def state_word(header, running=False):
    state = header["state"]
    queued = plain(state["queued"])
    flags = plain(state["flags"])
    if flags & DONE:
        word = "Done"
    elif running or flags & BUSY:
        word = "Running"
    elif flags & ABORT:
        word = "Aborting"
    elif queued:
        word = "Queued"
    else:
        word = "Waiting"
    return queued, flags, word


def describe_header(header, name=None, running=False):
    queued, flags, word = state_word(header, running)
    label = task_id(header)
    if name is not None:
        label += ' "%s"' % name
    return "%s queued=%s state=%s" % (label, "yes" if queued and not flags & DONE else "no", word)


def task_future(task):
    """The future in a `Task<F>`'s stage, or None once it is gone."""
    _, flags, _ = state_word(task["header"])
    if flags & DONE:
        return None
    stage = task["stage"]
    slot = unwrap_cell(stage[_named_fields(stage)[0]])
    # A union: the flags said that it holds the future.
    return unwrap_transparent(slot["future"])


def task_from_dyn(arc):
    """What an `Arc<dyn Runnable>` points to, as its concrete type: a
    `Task<F>`, or (for block_on's future) a bare `Header`."""
    return dyn_concrete(arc)


# ----- finding the executor ----------------------------------------------------


def frames():
    try:
        frame = gdb.newest_frame()
    except gdb.error:
        return
    while frame is not None:
        yield frame
        frame = frame.older()


def _stack_range():
    low = high = None
    for frame in frames():
        try:
            sp = int(frame.read_register("sp"))
        except (gdb.error, ValueError):
            continue
        low = sp if low is None else min(low, sp)
        high = sp if high is None else max(high, sp)
    return low, high


def registered_cores():
    """[(core address, stack marker, order)] of the running executors."""
    try:
        registry = gdb.parse_and_eval("busy_chef::base::debugger::REGISTRY")
    except gdb.error:
        return []
    out = []
    length = _type(registry).range()[1] + 1
    for i in range(length):
        slot = registry[i]
        core = plain(slot["core"])
        if core:
            out.append((core, plain(slot["stack"]), plain(slot["order"])))
    return out


def find_core():
    """The `Core` of the executor running on the selected thread."""
    if not gdb.selected_inferior().pid:
        raise gdb.GdbError("busy: the program is not running. Start it with `run`.")
    cores = registered_cores()
    if not cores:
        raise gdb.GdbError(
            "busy: no busy-chef executor is running in this program right now "
            "(no block_on is in progress). Stop inside a future that block_on runs."
        )
    low, high = _stack_range()
    mine = []
    if low is not None:
        # The marker is a little below block_on's frame, on this thread's stack.
        mine = [c for c in cores if low - (1 << 16) <= c[1] <= high]
    chosen = max(mine or cores, key=lambda c: c[2])
    core_type = lookup_type(CORE)
    if core_type is None:
        raise gdb.GdbError("busy: this program has no debug info for busy-chef's Core.")
    return gdb.Value(chosen[0]).cast(core_type.pointer()).dereference()


_ASYNC_BODY = re.compile(r"\{(async_fn|async_block|async_closure|coroutine)#\d+\}$")


def is_async_body(function_name):
    """Is this function the body of an async fn or block? Its own name
    must end in `{async_fn#N}` or the like: `Task::run<m::f::{async_fn#0}
    ::{async_block_env#0}>` only mentions one in its type arguments."""
    return _ASYNC_BODY.search(_strip_generics(function_name)) is not None


_BLOCK_ON = re.compile(r"^busy_chef::runtime::Executor::block_on<")
_RUN_TASK = re.compile(r"^busy_chef::runtime::core::Core::run_task$")


def _find_frame(pattern):
    for frame in frames():
        name = frame.name() or ""
        if pattern.search(name):
            return frame
    return None


def block_on_frame():
    return _find_frame(_BLOCK_ON)


def main_future():
    """(header of block_on's future, the future itself, running?), or None."""
    frame = block_on_frame()
    if frame is None:
        return None
    try:
        header = rc_value(frame.read_var("main"))
        future = deref(frame.read_var("future"))
    except (gdb.error, ValueError):
        return None
    # Running: block_on called into the future, not into its own machinery.
    newer = frame.newer()
    callee = (newer.name() or "") if newer is not None else ""
    running = newer is not None and not callee.startswith(
        ("busy_chef::runtime::", "busy_chef::collections::", "busy_chef::diagnostics::",
         "busy_chef::base::", "crossbeam")
    )
    return header, future, running


def lent_task():
    """(key, the `Task<F>` being polled), or None."""
    frame = _find_frame(_RUN_TASK)
    if frame is None:
        return None
    try:
        task = task_from_dyn(frame.read_var("task"))
        key = key_of(frame.read_var("key"))
    except (gdb.error, ValueError):
        return None
    return key, task


def running_chain(info):
    """The async fns and blocks that the running task is inside, outermost
    first, with the line each is at: the stack says it while it runs (its
    state machines say only where each was last suspended)."""
    stop = _BLOCK_ON if info.is_main else _RUN_TASK
    chain = []
    for frame in frames():
        name = frame.name() or ""
        if stop.search(name):
            break
        if is_async_body(name):
            sal = frame.find_sal()
            where = "%s:%d" % (sal.symtab.filename, sal.line) if sal.symtab else "?"
            env_name = _strip_env_generics(_strip_generics(name))
            chain.append("%s (%s)" % (short_future_name(env_name), where))
    return list(reversed(chain))


class TaskInfo:
    def __init__(self, slot, generation, header, name, future, running, is_main=False, task=None):
        self.task = task
        self.slot, self.generation = slot, generation
        self.header, self.name, self.future = header, name, future
        self.running, self.is_main = running, is_main

    @property
    def label(self):
        name = "main" if self.is_main else self.name
        return ("%s %s" % (task_id(self.header), '"%s"' % name if name else "")).rstrip()

    @property
    def state(self):
        return state_word(self.header, self.running)[2]


def value_key(value):
    """The key a slab's value carries (the slab keeps none of its own): a
    timer's entry has a `key` field; a task table's `Arc<dyn Runnable>`
    has it in its header."""
    if _has_field(value, "key"):
        return key_of(value["key"])
    runnable = task_from_dyn(value)
    if runnable is None:
        raise gdb.GdbError("busy: a slab value with no key: %s" % _name(value))
    return key_of(header_of(runnable)["key"])


def slab_entries(slab):
    """[(slot, generation, kind, value or None)] of a `Slab`, one per slot.
    An entry is `Occupied(value)` (its key, and so the generation, is in the
    value) or `Empty { generation, next }`: kind "Lent" if `next` is LENT
    (the value is out being polled), else "Vacant"."""
    out = []
    for slot, entry in enumerate(vec_items(slab["entries"])):
        v = variant(entry)
        if v is None:
            continue
        name, fields = v
        if name == "Occupied":
            value = fields[_named_fields(fields)[0]]
            out.append((slot, value_key(value)[1], "Occupied", value))
        else:
            kind = "Lent" if plain(fields["next"]) == LENT else "Vacant"
            out.append((slot, plain(fields["generation"]), kind, None))
    return out


def all_tasks(core):
    """Every task of the executor, in slot order: spawned ones, the one
    being polled, and block_on's future ("main")."""
    tasks = []
    lent = lent_task()
    main = main_future()
    names = task_names(core)
    table = unwrap_cell(core["tasks"])
    for slot, generation, kind, value in slab_entries(table):
        if kind == "Occupied":
            runnable = task_from_dyn(value)
            if runnable is None:
                continue
            if not is_task(runnable):
                # The bare header of block_on's future; the future itself
                # is a local of the `block_on` frame.
                future, running = None, False
                if main is not None and plain(main[0]["id"]) == plain(runnable["id"]):
                    future, running = main[1], main[2] and lent is None
                tasks.append(TaskInfo(slot, generation, runnable, "main", future, running, True))
                continue
            header = runnable["header"]
            tasks.append(TaskInfo(slot, generation, header, name_of(header, names),
                                  task_future(runnable), False, task=runnable))
        elif kind == "Lent" and lent is not None and lent[0] == (slot, generation):
            task = lent[1]
            header = task["header"]
            tasks.append(TaskInfo(slot, generation, header, name_of(header, names),
                                  task_future(task), True, task=task))
    return tasks


def task_by_key(core, slot, generation, tasks=None):
    for info in tasks if tasks is not None else all_tasks(core):
        if info.slot == slot and info.generation == generation:
            return info
    return None


# ----- wakers --------------------------------------------------------------------


def waker_parts(waker):
    """(data pointer, vtable address) of a `Waker` (a data pointer and a
    pointer to a table of four functions)."""
    pointers = [l for l in _scalar_leaves(waker) if _type(l).code == gdb.TYPE_CODE_PTR]
    if len(pointers) < 2:
        raise gdb.GdbError("busy: not a Waker")
    return int(pointers[0]), int(pointers[1])


def label_of(header, core=None, tasks=None):
    """`task-3 "toast"`, `task-2 "main"`: the label of the task with this
    header, as `busy tasks` shows it if it is in the table (a finished
    task is not, and has lost its name)."""
    if core is None:
        return task_id(header)
    info = task_by_key(core, *key_of(header["key"]), tasks=tasks)
    if info is not None and plain(info.header["id"]) == plain(header["id"]):
        return info.label
    return task_label(header, task_names(core))


def describe_waker(waker, core=None, tasks=None, depth=0):
    """Whose waker it is: `task-3 "toast"`, `main`, or a `join_all` child."""
    data, vtable = waker_parts(waker)
    clone = _words(vtable, 1)[0]
    woken = template_argument(function_at(clone))
    if woken is None:
        return "a waker (%s)" % (function_at(clone) or "unknown vtable")
    if woken == HEADER or woken.startswith(TASK_PREFIX):
        t = lookup_type(woken)
        target = gdb.Value(data).cast(t.pointer()).dereference()
        return label_of(header_of(target), core, tasks)
    if woken == CHILD_WAKER and depth < 4:
        t = lookup_type(woken)
        child = gdb.Value(data).cast(t.pointer()).dereference()
        index = plain(child["index"])
        parent = option(unwrap_cell(rc_value(child["list"])["parent"]["data"]))
        whose = describe_waker(parent, core, tasks, depth + 1) if parent is not None else "?"
        return "join_all child %d of %s" % (index, whose)
    return "a waker of %s" % woken


# ----- the timer wheel -------------------------------------------------------------


def wheel_of(core):
    return unwrap_cell(core["timers"]["wheel"])


def clock_of(core):
    """(simulated?, origin in seconds, now in seconds or None)."""
    return clock_of_value(rc_value(core["timers"]["clock"]))


def clock_of_value(clock):
    name, fields = variant(clock)
    origin = duration_seconds(fields["origin"])
    if name == "Simulated":
        return True, origin, duration_seconds(unwrap_cell(fields["now"]))
    return False, origin, None


def timer_entries(core):
    """[(key, deadline tick, place, waker)] of the pending timers."""
    wheel = wheel_of(core)
    out = []
    for slot, generation, kind, entry in slab_entries(wheel["timers"]):
        if kind != "Occupied":
            continue
        place_name, place = variant(entry["place"])
        if place_name == "Overflow":
            where = "overflow"
        else:
            where = "wheel L%d slot %d" % (plain(place["level"]), plain(place["slot"]))
        out.append(((slot, generation), plain(entry["deadline"]), where, entry["waker"]))
    return sorted(out, key=lambda t: t[1])


def timer_place(core, key):
    for timer_key, tick, where, _ in timer_entries(core):
        if timer_key == key:
            return tick, where
    return None


# ----- futures and their await chains ----------------------------------------------

_ENV = re.compile(r"\{(async_fn|async_block|async_closure|coroutine|closure)_env#(\d+)\}")


def is_async_env(value):
    return _ENV.search(_name(value)) is not None and variant(value) is not None


def _strip_generics(name):
    depth, out = 0, []
    for c in name:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out)


def short_future_name(type_name):
    """`chef::make_toast::{async_fn_env#0}` → `make_toast`;
    `gather::main::{async_block_env#0}` → `main::{async_block#0}`;
    `m::f::{async_fn#0}::{async_block_env#0}` (a block inside the async fn
    `f`) → `f::{async_block#0}`."""
    name = _strip_generics(type_name)
    m = _ENV.search(name)
    if not m:
        return name.split("::")[-1]
    path = name[: m.start()].rstrip(":").split("::")
    if m.group(1) == "async_fn":
        return path[-1]
    # The innermost named item, then the blocks and closures inside it; an
    # async fn's own body (`{async_fn#0}`) is the fn itself.
    named = [i for i, part in enumerate(path) if not part.startswith("{")]
    start = named[-1] if named else 0
    inner = [part for part in path[start + 1 :] if not part.startswith("{async_fn#")]
    return "::".join([path[start]] + inner + ["{%s#%s}" % (m.group(1), m.group(2))])


def poll_function(type_name):
    """The function that polls an `async fn`/block: `{async_fn_env#0}` →
    `{async_fn#0}`."""
    name = type_name.replace("_env#", "#")
    for lookup in (gdb.lookup_static_symbol, gdb.lookup_global_symbol):
        try:
            symbol = lookup(name)
        except (gdb.error, TypeError):
            symbol = None
        if symbol is not None:
            return symbol
    return None


_await_lines = {}


def _awaitee_symbols(function):
    """The `__awaitee` locals of a polling function: one per `.await`, each
    declared on the line of its `.await`."""
    if function.name in _await_lines:
        return _await_lines[function.name]
    found = []
    start = int(function.value().address)
    block = gdb.block_for_pc(start)
    while block is not None and block.function is None:
        block = block.superblock
    seen = set()
    symtab = function.symtab
    if block is not None and symtab is not None:
        for entry in symtab.linetable():
            if not block.start <= entry.pc < block.end:
                continue
            inner = gdb.block_for_pc(entry.pc)
            while inner is not None and inner.function is None:
                if inner.start not in seen:
                    seen.add(inner.start)
                    for symbol in inner:
                        if symbol.name == "__awaitee":
                            found.append((symbol.line, str(symbol.type)))
                inner = inner.superblock
    found = sorted(set(found))
    _await_lines[function.name] = found
    return found


def await_location(env):
    """Where an `async fn`'s state machine is: `examples/chef.rs:35` for the
    line of the `.await` it is suspended at, the `fn` line if it has not
    started. None if the debug info does not say."""
    state, fields = variant(env)
    function = poll_function(_name(env))
    if function is None or function.symtab is None:
        return None
    filename = function.symtab.filename
    if state == "Unresumed":
        return "%s:%d" % (filename, function.line)
    m = re.match(r"Suspend(\d+)$", state)
    if not m or not _has_field(fields, "__awaitee"):
        return None
    awaitee_type = str(fields["__awaitee"].type)
    # Suspend points that await the same type are numbered in source order.
    lines = [line for line, t in _awaitee_symbols(function) if t == awaitee_type]
    if not lines:
        return None
    rank = _suspend_rank(env, int(m.group(1)), awaitee_type)
    line = lines[min(rank, len(lines) - 1)]
    return "%s:%d" % (filename, line)


def _suspend_rank(env, index, awaitee_type):
    """How many earlier suspend points of `env`'s type await the same type.
    The static type lists every variant; a value read from memory only the
    active one, so look the type up by name."""
    static = lookup_type(_name(env))
    if static is None:
        return 0
    rank = 0
    for f in static.fields():
        m = re.match(r"Suspend(\d+)$", f.name or "")
        if not m or int(m.group(1)) >= index:
            continue
        for g in f.type.fields():
            if g.name == "__awaitee" and str(g.type) == awaitee_type:
                rank += 1
    return rank


def describe_future(value, core=None, tasks=None, depth=0):
    """A future and what it awaits, on one line:
    `make_toast@Suspend0 → Sleep(1.000 s, wheel L0 slot 40)`."""
    if depth > 24:
        return "…"
    value = deref(value)
    name = _name(value)
    if is_async_env(value):
        state, fields = variant(value)
        text = "%s@%s" % (short_future_name(name), state)
        if _has_field(fields, "__awaitee"):
            text += " → " + describe_future(fields["__awaitee"], core, tasks, depth + 1)
        return text
    if name == "busy_chef::time::sleep::Sleep":
        deadline = duration_seconds(value["deadline"])
        timer = option(value["timer"])
        where = "no timer"
        if timer is not None and core is not None:
            placed = timer_place(core, key_of(timer["key"]))
            where = placed[1] if placed else "fired"
        return "Sleep(%s, %s)" % (seconds(deadline), where)
    if name.startswith("busy_chef::combinators::join::JoinAll<"):
        children = slice_items(value["children"]) or []
        parts = ["%d: %s" % (i, describe_maybe_done(c, core, tasks, depth)) for i, c in enumerate(children)]
        return "JoinAll[%s]" % ", ".join(parts)
    if name.startswith("busy_chef::combinators::join::Join<"):
        return "Join(%s, %s)" % (
            describe_maybe_done(value["a"], core, tasks, depth),
            describe_maybe_done(value["b"], core, tasks, depth),
        )
    if name.startswith("busy_chef::combinators::join::MaybeDone<"):
        return describe_maybe_done(value, core, tasks, depth)
    if name.startswith("busy_chef::runtime::join_handle::JoinHandle<"):
        task = dyn_concrete(value["task"])
        if task is not None and is_task(task):
            header = task["header"]
            return "JoinHandle(%s, %s)" % (label_of(header, core, tasks), state_word(header)[2])
        return "JoinHandle(%s)" % (short_future_name(str(task.type)) if task is not None else "?")
    if name.startswith("busy_chef::time::timeout::Timeout<"):
        return "Timeout(%s, %s)" % (
            describe_future(value["future"], core, tasks, depth + 1),
            describe_future(value["sleep"], core, tasks, depth + 1),
        )
    if name == "busy_chef::combinators::yield_now::YieldNow":
        return "YieldNow(%s)" % ("yielded" if plain(value["yielded"]) else "not yet")
    return short_future_name(name)


def describe_maybe_done(value, core, tasks, depth):
    name, fields = variant(value)
    if name == "Pending":
        return describe_future(fields[_named_fields(fields)[0]], core, tasks, depth + 1)
    return "done" if name == "Done" else "taken"


# ---------------------------------------------------------------------------
# Pretty-printers
# ---------------------------------------------------------------------------


class _Text:
    def __init__(self, text):
        self.text = text

    def to_string(self):
        return self.text


class _Summary:
    """A one-line summary, with children to expand."""

    def __init__(self, text, children):
        self.text, self.kids = text, children

    def to_string(self):
        return self.text

    def children(self):
        return iter(self.kids)


def _safe(make):
    def printer(value):
        try:
            return make(value)
        except (gdb.error, gdb.MemoryError, RuntimeError, ValueError, TypeError, IndexError, KeyError):
            return None

    return printer


def _core_or_none():
    try:
        return find_core()
    except gdb.GdbError:
        return None


def print_atomic(value):
    return _Text(str(plain(value)).lower())


def print_duration(value):
    return _Text(seconds(duration_seconds(value)))


def print_key(value):
    slot, generation = key_of(value)
    return _Text("slot %d gen %d" % (slot, generation))


def print_task_id(value):
    return _Text("task-%d" % plain(value))


def print_header(value):
    core = _core_or_none()
    name, running = None, False
    if core is not None:
        slot, generation = key_of(value["key"])
        info = task_by_key(core, slot, generation)
        if info is not None and plain(info.header["id"]) == plain(value["id"]):
            name, running = ("main" if info.is_main else info.name), info.running
    return _Text(describe_header(value, name, running))


def print_task(value):
    core = _core_or_none()
    header = value["header"]
    slot, generation = key_of(header["key"])
    info = task_by_key(core, slot, generation) if core is not None else None
    if info is not None and plain(info.header["id"]) == plain(header["id"]):
        name, running = info.name, info.running
    else:
        name, running = name_of(header, task_names(core)), False
    text = describe_header(header, name, running)
    children = []
    future = task_future(value)
    if future is not None:
        children.append(("future", future))
    awaiter = option(unwrap_cell(value["awaiter"]))
    if awaiter is not None:
        children.append(("awaiter", awaiter))
    return _Summary(text, children)


def print_dyn_runnable(value):
    runnable = task_from_dyn(value)
    if runnable is None:
        return None
    return print_task(runnable) if is_task(runnable) else print_header(runnable)


def print_waker(value):
    return _Text("Waker → " + describe_waker(value, _core_or_none()))


def print_slab(value):
    entries = slab_entries(value)
    live = [(s, g, k, v) for (s, g, k, v) in entries if k != "Vacant"]
    lent = lent_task()
    main = main_future()
    first_vacant = plain(value["first_vacant"])
    text = "Slab(%d in use, %d slots, first vacant: %s)" % (
        plain(value["len"]), len(entries), "none" if first_vacant == NONE else first_vacant)
    children = []
    for slot, generation, kind, v in live:
        label = "slot %d gen %d" % (slot, generation)
        if kind == "Lent":
            # Lent out while it is polled: the poll's frame holds it.
            if lent is not None and lent[0] == (slot, generation):
                children.append((label + " (lent out: being polled)", lent[1]))
            continue
        if not _has_field(v, "key"):  # the task table: an `Arc<dyn Runnable>`
            runnable = task_from_dyn(v)
            if (runnable is not None and not is_task(runnable) and main is not None
                    and plain(main[0]["id"]) == plain(runnable["id"])):
                # block_on's future lives on block_on's stack; the table
                # holds its bare header.
                children.append((label + " (block_on's future, main)", main[1]))
                continue
        children.append((label, v))
    return _Summary(text, children)


def print_wheel(value):
    count = sum(1 for e in slab_entries(value["timers"]) if e[2] == "Occupied")
    return _Text("Wheel(at %d ms, %d timer%s)" % (plain(value["elapsed"]), count, "" if count == 1 else "s"))


def print_clock(value):
    name, fields = variant(value)
    if name == "Simulated":
        return _Text("simulated clock, now %s" % seconds(duration_seconds(unwrap_cell(fields["now"]))))
    return _Text("real clock")


def print_core(value):
    tasks = all_tasks(value)
    timers = timer_entries(value)
    simulated, _, now = clock_of(value)
    text = "Executor(%s, %d task%s, %d timer%s)" % (
        "simulated clock, now " + seconds(now) if simulated else "real clock",
        len(tasks), "" if len(tasks) == 1 else "s", len(timers), "" if len(timers) == 1 else "s")
    children = [
        ("tasks", unwrap_cell(value["tasks"])),
        ("run_queue", value["run_queue"]),
        ("timers", value["timers"]),
    ]
    return _Summary(text, children)


def print_timers(value):
    clock = rc_value(value["clock"])
    wheel = unwrap_cell(value["wheel"])
    core = _core_or_none()
    entries = []
    for slot, generation, kind, entry in slab_entries(wheel["timers"]):
        if kind == "Occupied":
            entries.append(entry)
    _, origin, _ = clock_of_value(clock)
    children = []
    for entry in sorted(entries, key=lambda e: plain(e["deadline"])):
        place_name, place = variant(entry["place"])
        where = "overflow" if place_name == "Overflow" else "wheel L%d slot %d" % (
            plain(place["level"]), plain(place["slot"]))
        label = "%s, %s" % (seconds(origin + plain(entry["deadline"]) / 1000.0), where)
        children.append((label, entry["waker"]))
    text = "Timers(%s; %s)" % (print_clock(clock).to_string(), print_wheel(wheel).to_string())
    return _Summary(text, children)


def print_hooks(value):
    tracing = plain(unwrap_cell(value["tracing"]))
    events = 0
    try:
        log = unwrap_cell(value["recorder"]["log"])
        events = len(vec_items(log["events"]))
    except (gdb.error, KeyError, IndexError):
        pass
    blocking = option(unwrap_cell(value["blocking"]))
    check = "off" if blocking is None else "over " + seconds(duration_seconds(blocking))
    return _Text("Hooks(tracing %s, %d events recorded; blocking-poll warning: %s)" % (
        "on" if tracing else "off", events, check))


def print_state(value):
    queued = plain(value["queued"])
    flags = plain(value["flags"])
    names = [n for bit, n in ((BUSY, "BUSY"), (HANDLE, "HANDLE"), (ABORT, "ABORT"),
                              (DONE, "DONE"), (OUTPUT, "OUTPUT"), (NAMED, "NAMED")) if flags & bit]
    return _Text("queued=%s flags=%s" % ("yes" if queued else "no", "|".join(names) or "none"))


def print_transparent(value):
    """`ManuallyDrop<T>` and the like: as the `T` inside."""
    inner = unwrap_transparent(value)
    if inner is value:
        return None
    return _Text(inner)


def print_run_queue(value):
    keys = [key_of(k) for k in vecdeque_items(unwrap_cell(value["local"]))]
    core = _core_or_none()
    tasks = all_tasks(core) if core is not None else []
    names = []
    for slot, generation in keys:
        info = task_by_key(core, slot, generation, tasks) if core is not None else None
        names.append(info.label if info else "slot %d gen %d" % (slot, generation))
    return _Text("RunQueue[%s]" % ", ".join(names))


def print_sleep(value):
    return _Text(describe_future(value, _core_or_none()))


def print_join_handle(value):
    return _Text(describe_future(value, _core_or_none()))


def print_async_env(value):
    """An `async fn`'s state machine: its state, then what that state holds."""
    state, fields = variant(value)
    where = await_location(value)
    text = "%s@%s" % (short_future_name(_name(value)), state)
    if where:
        text += " (%s)" % where
    # A local kept across several `.await`s may be listed once per variant
    # it lives in, at the same place: show it once.
    children, seen = [], set()
    for f in _named_fields(fields):
        if (f.name, f.bitpos) not in seen:
            seen.add((f.name, f.bitpos))
            children.append((f.name, fields[f]))
    return _Summary(text, children)


_EXACT = {
    "busy_chef::collections::slab::Key": print_key,
    "busy_chef::base::id::TaskId": print_task_id,
    "busy_chef::base::instant::Instant": print_duration,
    "core::time::Duration": print_duration,
    HEADER: print_header,
    "busy_chef::collections::wheel::Wheel": print_wheel,
    "busy_chef::base::clock::Clock": print_clock,
    CORE: print_core,
    "busy_chef::runtime::scheduler::RunQueue": print_run_queue,
    "busy_chef::time::sleep::Sleep": print_sleep,
    "busy_chef::runtime::timers::Timers": print_timers,
    "busy_chef::diagnostics::hooks::Hooks": print_hooks,
    "busy_chef::runtime::task::state::State": print_state,
}

_PREFIXES = [
    (TASK_PREFIX, print_task),
    ("busy_chef::collections::slab::Slab<", print_slab),
    ("busy_chef::runtime::join_handle::JoinHandle<", print_join_handle),
    ("alloc::sync::Arc<dyn busy_chef::runtime::core::Runnable", print_dyn_runnable),
]


def lookup_printer(value):
    t = value.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return None
    name = t.name or ""
    make = _EXACT.get(name)
    if make is None:
        for prefix, candidate in _PREFIXES:
            if name.startswith(prefix):
                make = candidate
                break
    if make is None and re.match(r"^core::sync::atomic::Atomic", name):
        make = print_atomic
    if make is None and re.match(r"^core::mem::(manually_drop::ManuallyDrop|maybe_dangling::MaybeDangling)<", name):
        make = print_transparent
    if make is None and re.match(r"^core::task::(wake::)?Waker$", name):
        make = print_waker
    if make is None and _ENV.search(name) and "async" in name:
        make = print_async_env
    return _safe(make)(value) if make is not None else None


# ---------------------------------------------------------------------------
# The `busy` commands
# ---------------------------------------------------------------------------


class Busy(gdb.Command):
    """busy-chef's view of the program: its tasks, their await chains, the
    timers and the run queue. Subcommands:

      busy tasks              one row per task: id, name, state, the state of its future
      busy await-tree [NAME]  each task's chain of awaited futures (or one task's)
      busy timers             the pending timers: deadline, place in the wheel, whose waker
      busy queue              the tasks waiting to be polled
      busy break-poll NAME    stop when the task called NAME is next polled
      busy next               like `next`, but across an .await: stop on the next line
                              of this same future, even if it suspends first

    They work from any frame of the executor's thread."""

    def __init__(self):
        super().__init__("busy", gdb.COMMAND_USER, prefix=True)


def _table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        gdb.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")


class BusyTasks(gdb.Command):
    """One row per task of the running executor: its id and name, its state
    (Running: being polled now; Queued: in the run queue; Waiting: for a
    wake; Done), the state its future is in, and the line of the `.await`
    it is suspended at. `main` is the future passed to block_on."""

    def __init__(self):
        super().__init__("busy tasks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        core = find_core()
        tasks = all_tasks(core)
        rows = [("task", "name", "state", "future", "suspended at")]
        for info in tasks:
            future, where = "(gone)", ""
            if info.future is not None:
                f = deref(info.future)
                if is_async_env(f):
                    state = variant(f)[0]
                    future = "%s@%s" % (short_future_name(_name(f)), state)
                    where = await_location(f) or ""
                    if state == "Unresumed":
                        where = "not started (%s)" % where if where else "not started"
                    if info.running:
                        chain = running_chain(info)
                        where = "running: " + chain[-1] if chain else "running"
                else:
                    future = describe_future(f, core, tasks)
            rows.append((task_id(info.header), "main" if info.is_main else (info.name or "-"),
                         info.state, future, where))
        _table(rows)


class BusyAwaitTree(gdb.Command):
    """The await chain of every task (or of the task called NAME, or with
    id NAME: `busy await-tree toast`, `busy await-tree task-3`): what each
    task's future awaits, and what that awaits, down to the leaf future
    (a Sleep, a JoinHandle...), read from the debug info alone."""

    def __init__(self):
        super().__init__("busy await-tree", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        core = find_core()
        tasks = all_tasks(core)
        wanted = arg.strip()
        shown = 0
        for info in tasks:
            name = "main" if info.is_main else info.name
            if wanted and wanted not in (name, task_id(info.header)):
                continue
            shown += 1
            head = "%s (%s)" % (name, task_id(info.header)) if name else task_id(info.header)
            if info.running:
                chain = " → ".join(running_chain(info)) or "(in the executor)"
                gdb.write("%s, running now → %s\n" % (head, chain))
                continue
            chain = describe_future(info.future, core, tasks) if info.future is not None else "(done)"
            gdb.write("%s → %s\n" % (head, chain))
        if wanted and not shown:
            raise gdb.GdbError("busy: no task called %r (see `busy tasks`)" % wanted)


class BusyTimers(gdb.Command):
    """The pending timers: deadline (on the executor's clock), where the
    timer waits in the wheel (level and slot, or the overflow list), and
    the task its waker wakes."""

    def __init__(self):
        super().__init__("busy timers", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        core = find_core()
        tasks = all_tasks(core)
        simulated, origin, now = clock_of(core)
        wheel = wheel_of(core)
        timers = timer_entries(core)
        clock = "simulated clock, now %s" % seconds(now) if simulated else "real clock"
        gdb.write("%s; the wheel has fired everything up to %d ms; %d timer%s\n" % (
            clock, plain(wheel["elapsed"]), len(timers), "" if len(timers) == 1 else "s"))
        if not timers:
            return
        rows = [("deadline", "place", "wakes")]
        for _, tick, where, waker in timers:
            rows.append((seconds(origin + tick / 1000.0), where, describe_waker(waker, core, tasks)))
        _table(rows)


def channel_mail(receiver):
    """The wakes waiting in crossbeam's unbounded channel: [(key, id)]. Its
    list flavour keeps messages in blocks of 31 slots; positions count in
    steps of 2 (the low bit is a flag), and the 32nd position of each lap
    marks the end of a block."""
    flavor, inner = variant(receiver[_named_fields(receiver)[0]])
    if flavor != "List":
        return None
    counter = deref(_first_pointer(inner))
    chan = counter[_named_fields(counter)[-1]]
    head = chan["head"][_named_fields(chan["head"])[0]]
    tail = chan["tail"][_named_fields(chan["tail"])[0]]
    head_index, tail_index = plain(head["index"]) >> 1, plain(tail["index"]) >> 1
    block_ptr = plain(head["block"])
    block_type = _type(head["block"])
    block_type = _scalar_leaves(head["block"])[0].type.strip_typedefs().target()
    mail = []
    index = head_index
    block = gdb.Value(block_ptr).cast(block_type.pointer()).dereference() if block_ptr else None
    while index < tail_index and block is not None and len(mail) < 1000:
        offset = index % 32
        if offset == 31:
            next_block = plain(block["next"])
            block = gdb.Value(next_block).cast(block_type.pointer()).dereference() if next_block else None
            index += 1
            continue
        slot = block["slots"][offset]
        message = unwrap_cell(slot["msg"])
        message = message[_named_fields(message)[-1]] if _named_fields(message) else message
        while not _has_field(message, "key") and _named_fields(message):
            message = message[_named_fields(message)[-1]]
        mail.append((key_of(message["key"]), plain(message["id"])))
        index += 1
    return mail


class BusyQueue(gdb.Command):
    """The tasks waiting to be polled: the run queue's local part (wakes on
    the executor's own thread), oldest first, and the wakes from other
    threads still in the channel."""

    def __init__(self):
        super().__init__("busy queue", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        core = find_core()
        tasks = all_tasks(core)
        queue = core["run_queue"]

        def label(key):
            info = task_by_key(core, key[0], key[1], tasks)
            return info.label if info else "slot %d gen %d (stale: its task is gone)" % key

        local = [label(key_of(k)) for k in vecdeque_items(unwrap_cell(queue["local"]))]
        gdb.write("run queue, next first: %s\n" % (", ".join(local) if local else "empty"))
        try:
            mail = channel_mail(queue["receiver"])
        except (gdb.error, IndexError, KeyError, TypeError):
            mail = None
        if mail is None:
            gdb.write("channel (wakes from other threads): could not be read\n")
        else:
            names = [label(k) for k, _ in mail]
            gdb.write("channel (wakes from other threads): %s\n" % (", ".join(names) if names else "empty"))


def _stage_poll_location():
    """(file, line) of the line in `Stage::poll` that polls a task's future."""
    text = gdb.execute(
        r"info functions -q -n ^busy_chef::runtime::task::stage::.*::poll::.closure", to_string=True)
    for line in text.splitlines():
        m = re.match(r"^(\d+):\s", line)
        if m:
            name = line.split("fn ", 1)[1].split("(", 1)[0]
            symbol = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
            if symbol is not None and symbol.symtab is not None:
                return symbol.symtab.filename, symbol.line
    return None


class _PollBreakpoint(gdb.Breakpoint):
    """Stops where `Stage::poll` polls the future of the task called NAME;
    its commands then step into that future."""

    def __init__(self, name, filename, line):
        super().__init__(source=filename, line=line, internal=False, temporary=False)
        self.wanted = name
        self.silent = True
        self.commands = "python busy_break_poll_hit(%d)\nstep" % self.number

    def stop(self):
        frame = gdb.newest_frame()
        if "{closure" not in (frame.name() or ""):
            return False  # the same line in `Stage::poll` itself
        lent = lent_task()
        if lent is None:
            return False
        header = lent[1]["header"]
        if self.wanted == task_id(header):
            return True
        # Only a named task's poll reads the executor's map of names.
        if not plain(header["state"]["flags"]) & NAMED:
            return False
        return self.wanted == name_of(header, task_names(_core_or_none()))


def busy_break_poll_hit(number):
    for bp in gdb.breakpoints():
        if bp.number == number and isinstance(bp, _PollBreakpoint):
            lent = lent_task()
            if lent is not None:
                task = lent[1]
                core = _core_or_none()
                future = task_future(task)
                state = describe_future(future, core) if future is not None else "?"
                label = task_label(task["header"], task_names(core))
                gdb.write("busy: %s is polled (its future: %s); stepping into it.\n" % (label, state))
            bp.delete()
            return


class BusyBreakPoll(gdb.Command):
    """busy break-poll NAME: stop when the task called NAME (or with id NAME,
    `task-3`) is next polled, at the first line of its future's code. A
    one-time breakpoint, like `tbreak`; it may be set before `run`."""

    def __init__(self):
        super().__init__("busy break-poll", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if not name:
            raise gdb.GdbError("usage: busy break-poll NAME (a task's name, or its id: task-3)")
        where = _stage_poll_location()
        if where is None:
            raise gdb.GdbError(
                "busy: this program spawns no task (no Stage::poll in it), so no task "
                "can be polled. To stop in block_on's future, break in its code.")
        bp = _PollBreakpoint(name, *where)
        gdb.write("busy: breakpoint %d stops when task %r is next polled.\n" % (bp.number, name))


class _ResumeBreakpoint(gdb.Breakpoint):
    """Stops when the `async fn` state machine at `env` is polled again."""

    def __init__(self, function, env_type, env):
        super().__init__(function, internal=True, temporary=False)
        self.env_type, self.env = env_type, env
        self.silent = True

    def stop(self):
        caller = gdb.newest_frame().older()
        return caller is not None and env_in_frame(caller, self.env_type) == self.env


def env_in_frame(frame, env_type):
    """The address of the state machine of type `env_type` that `frame`
    polls: a local or argument of that type, or a pointer (Pin, &mut, Box)
    to one."""
    try:
        block = frame.block()
    except RuntimeError:
        return None
    while block is not None:
        for symbol in block:
            if not (symbol.is_variable or symbol.is_argument):
                continue
            try:
                value = symbol.value(frame)
                for _ in range(4):
                    if str(_type(value)) == env_type:
                        return int(value.address)
                    inner = deref(value)
                    if inner is value or str(inner.type) == str(value.type):
                        break
                    value = inner
            except (gdb.error, RuntimeError, ValueError):
                continue
        if block.function is not None:
            break
        block = block.superblock
    return None


class _Quiet:
    """Runs commands without gdb's stop notices (`next`'s line, `continue`'s
    breakpoint): `busy next` prints only where it ends."""

    def __enter__(self):
        try:
            shown = gdb.parameter("suppress-cli-notifications")
        except RuntimeError:
            shown = None
        self.previous = shown
        if shown is not None:
            gdb.execute("set suppress-cli-notifications on", to_string=True)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            gdb.execute("set suppress-cli-notifications %s" % ("on" if self.previous else "off"),
                        to_string=True)
        return False


class BusyNext(gdb.Command):
    """Like `next`, but an `.await` does not throw you out of your async fn.

    `next` over an `.await` whose future is not ready returns from the
    poll, into the executor. `busy next` then lets the program run until
    this same future (the same state machine, not just the same function)
    is polled again, and stops on the line after the `.await`. If the
    future finished instead, it stops where its poll returned."""

    def __init__(self):
        super().__init__("busy next", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        frame = gdb.selected_frame()
        function = frame.function()
        if function is None or not is_async_body(function.name):
            raise gdb.GdbError(
                "busy next: the selected frame is not the body of an async fn or block "
                "(its name does not end in {async_fn#N} or {async_block#N}); use `next` here.")
        env_type = _strip_env_generics(function.name)
        caller = frame.older()
        env = env_in_frame(caller, env_type) if caller is not None else None
        start_line = frame.find_sal().line
        with _Quiet():
            gdb.execute("next", to_string=True)
        if self._same(frame) or not self._alive():
            return self._show(function)
        if env is None:
            gdb.write("busy next: the future returned from its poll, and its state machine "
                      "was not found in the caller's frame, so it cannot be followed.\n")
            return self._show(None)
        env_value = gdb.Value(env).cast(lookup_type(env_type).pointer()).dereference()
        state = variant(env_value)[0]
        if not state.startswith("Suspend"):
            gdb.write("busy next: %s is %s: it will not be polled again.\n" % (
                short_future_name(env_type), state))
            return self._show(None)
        where = await_location(env_value)
        gdb.write("busy next: %s returned Pending at %s; running until it is polled again.\n" % (
            short_future_name(env_type), where or "an .await"))
        bp = _ResumeBreakpoint(function.name, env_type, env)
        try:
            with _Quiet():
                gdb.execute("continue", to_string=True)
        finally:
            if bp.is_valid():
                bp.delete()
        if not self._alive():
            return
        resumed = gdb.selected_frame()
        if resumed.function() is None or resumed.function().name != function.name:
            return self._show(None)  # stopped elsewhere first (another breakpoint)
        # Polled again: it jumps back to the `.await`, polls the awaited
        # future once more (ready now), and goes on to the next line.
        with _Quiet():
            for _ in range(50):
                line = gdb.selected_frame().find_sal().line
                if line not in (function.line, start_line):
                    break
                gdb.execute("next", to_string=True)
                if not self._alive() or not self._same(resumed):
                    break
        self._show(function)

    @staticmethod
    def _same(frame):
        try:
            return gdb.selected_frame() == frame
        except gdb.error:
            return False

    @staticmethod
    def _alive():
        if not gdb.selected_inferior().pid:
            gdb.write("busy next: the program exited.\n")
            return False
        return True

    @staticmethod
    def _show(function):
        """Where it stopped, as `next` shows it: the line alone if still in
        `function`, else the frame first."""
        if not gdb.selected_inferior().pid:
            return
        text = gdb.execute("frame 0", to_string=True)
        lines = text.splitlines()
        here = gdb.selected_frame().function()
        if function is not None and here is not None and here.name == function.name:
            lines = lines[1:]
        elif lines:
            lines[0] = re.sub(r"^#0\s+", "", lines[0])
        gdb.write("\n".join(lines) + "\n")


def _strip_env_generics(function_name):
    """`m::f::{async_fn#0}<T>` → `m::f::{async_fn_env#0}<T>`: the type of
    the state machine that a body polls. The last `{...#N}` of the path
    (`m::f::{async_fn#0}::{async_block#0}` is a block inside `f`), not one
    in the type arguments."""
    depth, last = 0, None
    for m in re.finditer(r"[<>]|\{(async_fn|async_block|async_closure|coroutine|closure)#", function_name):
        if m.group(0) == "<":
            depth += 1
        elif m.group(0) == ">":
            depth -= 1
        elif depth == 0:
            last = m
    if last is None:
        return function_name
    return "%s{%s_env#%s" % (function_name[: last.start()], last.group(1), function_name[last.end():])


class BusyTaskFunction(gdb.Function):
    """$busy_task("toast"), $busy_task("task-3"): the task with that name or
    id, as a value to print or explore (`print $busy_task("toast")`). For
    "main", block_on's future."""

    def __init__(self):
        super().__init__("busy_task")

    def invoke(self, wanted):
        if _type(wanted).code == gdb.TYPE_CODE_INT:
            wanted = "task-%d" % int(wanted)
        elif _type(wanted).code == gdb.TYPE_CODE_STRUCT:
            wanted = read_str(wanted)  # a Rust &str
        else:
            wanted = wanted.string()
        for info in all_tasks(find_core()):
            name = "main" if info.is_main else info.name
            if wanted in (name, task_id(info.header)):
                return info.future if info.is_main else info.task
        raise gdb.GdbError("busy: no task called %r (see `busy tasks`)" % wanted)


class BusyExecutorFunction(gdb.Function):
    """$busy_executor(): the executor running on this thread (its `Core`),
    to print (`print $busy_executor()`) or explore (`.tasks`, `.timers`)."""

    def __init__(self):
        super().__init__("busy_executor")

    def invoke(self):
        return find_core()


class _Printer:
    """gdb asks it about every value it prints."""

    name = "busy_chef"
    enabled = True
    subprinters = None

    def __call__(self, value):
        return lookup_printer(value)


def _register(objfile):
    # First in the list: std's printers (rust-gdb's) would otherwise take
    # `Arc<dyn Runnable>` for a plain `Arc`.
    if not any(getattr(p, "name", None) == "busy_chef" for p in objfile.pretty_printers):
        objfile.pretty_printers.insert(0, _Printer())


def _on_new_objfile(event):
    _register(event.new_objfile)


if not getattr(gdb, "_busy_chef_loaded", False):
    gdb._busy_chef_loaded = True
    Busy()
    BusyTasks()
    BusyAwaitTree()
    BusyTimers()
    BusyQueue()
    BusyBreakPoll()
    BusyNext()
    BusyTaskFunction()
    BusyExecutorFunction()
    gdb.events.new_objfile.connect(_on_new_objfile)

for _objfile in [gdb.current_objfile()] if gdb.current_objfile() else gdb.objfiles():
    _register(_objfile)
_register(gdb.current_progspace())
