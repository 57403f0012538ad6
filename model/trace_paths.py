"""Named access to a Trace, in TransformerLens's spirit: each value comes with the path that names it.

`trace.attn.q[L]` is block L's queries (pos, head, d_head), `trace.attn.pattern[L, H]` head H's pattern in block L;
indexed down to one entry, `trace.attn.q[0, 2, 1, 5]` is a `Read`: the number and its path
('blocks.0.attn.hook_q[2,1,5]': block 0, position 2, head 1, entry 5). Other arrays are reached by name
(`trace.stored("matvec.products")[3]`), the fields of meta and info by key the same way:
`trace.fields.meta.d_model` is Read(256, 'meta.d_model'). A scene draws `number(trace.attn.q[0, 2, 1, 5])`, and a
test reads the same number back by its path (`trace_data.stored_value`): the path is never typed beside the value.
"""

from __future__ import annotations

from dataclasses import dataclass

# The arrays of every block, by a short name per part (TransformerLens's hook names; the weights kept for a scene).
BLOCK_PARTS = {
    "attn": {
        "q": "blocks.{}.attn.hook_q",  # (pos, head, d_head)
        "k": "blocks.{}.attn.hook_k",
        "rot_q": "blocks.{}.attn.hook_rot_q",  # rotary models: q and k turned by position (pos, head, d_head)
        "rot_k": "blocks.{}.attn.hook_rot_k",
        "v": "blocks.{}.attn.hook_v",
        "scores": "blocks.{}.attn.hook_attn_scores",  # (head, query, key)
        "pattern": "blocks.{}.attn.hook_pattern",  # (head, query, key)
        "z": "blocks.{}.attn.hook_z",  # (pos, head, d_head)
        "W_Q": "weights.blocks.{}.attn.W_Q",  # (head, d_model, d_head)
        "b_Q": "weights.blocks.{}.attn.b_Q",  # (head, d_head)
    },
    "ln1": {"normalized": "blocks.{}.ln1.hook_normalized"},  # (pos, d_model)
    "ln2": {"normalized": "blocks.{}.ln2.hook_normalized"},
    "mlp": {
        "pre": "blocks.{}.mlp.hook_pre",  # (pos, d_mlp)
        "post": "blocks.{}.mlp.hook_post",  # (pos, d_mlp)
        "out": "blocks.{}.hook_mlp_out",  # (pos, d_model): what the block adds to the residual
    },
    "resid": {
        "pre": "blocks.{}.hook_resid_pre",
        "mid": "blocks.{}.hook_resid_mid",
        "post": "blocks.{}.hook_resid_post",
    },
}


@dataclass(frozen=True)
class Read:
    """One value of a Trace and the path it is stored at."""

    value: object
    path: str


def entry_path(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(map(str, index))}]" if index else name


class Stored:
    """A stored array, or the part of it that leading indices pick; indexed down to one entry it gives a Read."""

    def __init__(self, trace, name: str, index: tuple[int, ...] = ()):
        self.trace, self.name, self.index = trace, name, index

    def __getitem__(self, key) -> Stored | Read:
        index = (*self.index, *(int(k) for k in (key if isinstance(key, tuple) else (key,))))
        array = self.trace[self.name]
        if len(index) > array.ndim:
            raise IndexError(f"{self.name} has {array.ndim} dimensions, indexed with {len(index)}")
        if len(index) == array.ndim:
            return Read(array[index].item(), entry_path(self.name, index))
        return Stored(self.trace, self.name, index)

    @property
    def value(self):
        return self.trace[self.name][self.index]

    @property
    def path(self) -> str:
        return entry_path(self.name, self.index)

    def __len__(self) -> int:
        return len(self.value)


class ByLayer:
    """One array per block: the first index is the block's, `pattern[L, H]` is block L's pattern, head H."""

    def __init__(self, trace, template: str):
        self.trace, self.template = trace, template

    def __getitem__(self, key) -> Stored | Read:
        layer, *rest = key if isinstance(key, tuple) else (key,)
        part = Stored(self.trace, self.template.format(int(layer)))
        return part[tuple(rest)] if rest else part


class BlockPart:
    """One part of every block by its arrays' short names: `trace.attn.q`, `trace.mlp.post`."""

    def __init__(self, trace, part: str):
        self._trace, self._part = trace, part

    def __getattr__(self, name: str) -> ByLayer:
        names = BLOCK_PARTS[self._part]
        if name not in names:
            raise AttributeError(f"the Trace's {self._part} has no {name!r}; it has {', '.join(names)}")
        return ByLayer(self._trace, names[name])


class Field:
    """A field of the Trace's meta or info, reached by key (`.name`, or `[key]` for a list's index or any key):
    a dict or a list is a Field again, anything else a Read."""

    def __init__(self, value, path: str = ""):
        self.value, self.path = value, path

    def __getattr__(self, key: str) -> Field | Read:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key) -> Field | Read:
        try:
            node = self.value[key]
        except (KeyError, IndexError, TypeError):
            raise KeyError(f"the Trace has no {self.path + '.' if self.path else ''}{key}") from None
        path = f"{self.path}.{key}" if self.path else str(key)
        return Field(node, path) if isinstance(node, dict | list) else Read(node, path)

    def __len__(self) -> int:
        return len(self.value)
