"""The graph API (BigDL's Model(inputs, outputs), Keras' functional API): Input(), layers called on
nodes, Model(inputs, outputs) -> the engine's Graph container."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from shoal.nn.module import Module


class Node:
    """An output in a graph under construction: a graph input, or a module applied to nodes."""

    def __init__(self, module: Optional[Module], inputs: list["Node"], name: Optional[str] = None) -> None:
        self.module, self.inputs, self.name = module, inputs, name


def Input(name: str = "input") -> Node:
    """A graph input (BigDL's Input())."""
    return Node(None, [], name)


class Model(Module):
    """A graph of layers from its input nodes to its output node.

    >>> x = Input(); h = ReLU()(Linear(784, 100)(x)); model = Model(x, LogSoftMax()(Linear(100, 10)(h)))

    Nodes are named by ``layer.set_name(...)``, else by type and position ("linear1").
    """

    def __init__(self, inputs: Union[Node, Sequence[Node]], outputs: Union[Node, Sequence[Node]]) -> None:
        super().__init__()
        self._inputs = [inputs] if isinstance(inputs, Node) else list(inputs)
        outs = [outputs] if isinstance(outputs, Node) else list(outputs)
        if len(outs) != 1:
            from shoal.errors import UsageError
            raise UsageError(f"Model: a graph has one output node, got {len(outs)}")
        self._output = outs[0]
        self._spec = self._make_spec()

    def _make_spec(self) -> dict:
        from shoal.errors import UsageError
        order: list[Node] = []
        seen: set[int] = set()

        def visit(node: Node) -> None:  # inputs before the nodes that use them
            if id(node) in seen:
                return
            seen.add(id(node))
            for i in node.inputs:
                visit(i)
            order.append(node)

        visit(self._output)
        names: dict[int, str] = {}
        for i, node in enumerate(self._inputs):
            if node.module is not None:
                raise UsageError(f"Model: input {i + 1} is not an Input() node")
            names[id(node)] = node.name or f"input{i + 1}"
        counts: dict[str, int] = {}
        modules_seen: set[int] = set()
        nodes = []
        for node in order:
            if node.module is None:
                if id(node) not in names:
                    raise UsageError(f"Model: the graph uses Input '{node.name}', which is not among the inputs given")
                continue
            if id(node.module) in modules_seen:
                raise UsageError(f"Model: the layer {node.module!r} is used by two nodes; make one layer per node")
            modules_seen.add(id(node.module))
            kind = node.module.to_spec().get("type", "node").lower()
            counts[kind] = counts.get(kind, 0) + 1
            name = node.module._name or f"{kind}{counts[kind]}"
            names[id(node)] = name
            spec = dict(node.module.to_spec())
            spec["name"] = name
            spec["inputs"] = [names[id(i)] for i in node.inputs]
            nodes.append(spec)
        if not nodes:
            raise UsageError("Model: the output is an input; a graph needs at least one layer")
        return {"type": "Graph", "input_names": [names[id(n)] for n in self._inputs], "nodes": nodes,
                "output": names[id(self._output)]}

    def to_spec(self) -> dict:
        return self._spec
