"""Where an image classifier looks: Grad-CAM and gradient saliency for one sample.

`Explainer(model, task)` checks once that the model is an image classifier (an image input,
a class-vector output) and builds one Keras model giving the output of every spatial layer
(4-D, channels last) and the class scores; `NotApplicable` says in words why it is not.

- `gradcam(x, layer=None, class_index=None)` (Selvaraju et al., as in the Keras example
  "Grad-CAM class activation visualization"): the gradient of the class score with respect to
  a layer's output (the selected one, or the last convolutional layer before the output), the
  channels weighted by their mean gradient, summed, ReLU, scaled to 0..1 and resized to the
  input's height x width.
- `saliency(x, class_index=None)`: |d score / d input|, the maximum over channels, scaled to
  0..1. An image input of an integer dtype (uint8 pixels before a Rescaling layer) has no
  gradient: its pixels then reach the layers as floats (the same values), and a model whose
  layers need the integers themselves is refused in words.

The class score is the one before the output's softmax or sigmoid (the logit), as in the paper
and the Keras example: when the output layer has such an activation, a copy of it without the
activation (the same weights) computes the score, and the model itself is never changed (the
Inside panel's worker threads share it). The class is the predicted one unless chosen.
Gradients come from `tf.GradientTape`; nothing here imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import LayerLoomError
from app.training.activations import _single_output

GRADCAM = "gradcam"
SALIENCY = "saliency"
METHODS = {GRADCAM: "Grad-CAM", SALIENCY: "Saliency"}
_SQUASHING = ("softmax", "sigmoid")


class NotApplicable(LayerLoomError):
    """Grad-CAM or saliency does not apply to this model, said in words."""


@dataclass
class Explanation:
    """One heatmap over one input image."""

    method: str  # GRADCAM or SALIENCY
    heatmap: np.ndarray  # (H, W) float32 in 0..1, the input image's height x width
    image: np.ndarray  # (H, W, C) the input sample as the model sees it
    class_index: int
    probability: float  # the model's output for that class
    layer: str | None = None  # Grad-CAM: the layer explained
    cam: np.ndarray | None = None  # Grad-CAM at the layer's own resolution, in 0..1
    note: str = ""  # how the layer or the score was chosen, for the view's caption


def _shape(tensor: Any) -> str:
    """A tensor's shape per sample in words: "8×8×1", "one value"."""
    dims = tuple(tensor.shape[1:])
    return "×".join("?" if d is None else str(d) for d in dims) if dims else "one value"


def _is_conv(layer: Any) -> bool:
    """A convolution, or a block (nested model) holding one."""
    import keras

    if isinstance(layer, keras.Model):
        return any(_is_conv(inner) for inner in layer.layers)
    return "Conv" in type(layer).__name__


def _activation_name(layer: Any) -> str | None:
    import keras

    act = getattr(layer, "activation", None)
    if act is None:
        return None
    try:
        name = keras.activations.serialize(act)
    except Exception:  # noqa: BLE001 - a custom activation: not one we strip
        return None
    return name if isinstance(name, str) else None


def _score_head(out: Any) -> tuple[Any, Any, str]:
    """(tensor, head, note): the class scores are `head(tensor)` (head None: the tensor
    itself), before the output's softmax or sigmoid where there is one."""
    import keras

    from app.keras_internals import inbound_nodes, keras_history

    layer, node_index, _ = keras_history(out)
    node = inbound_nodes(layer)[node_index]
    if not node.arguments.args or not isinstance(node.arguments.args[0], keras.KerasTensor):
        return out, None, ""
    before = node.arguments.args[0]
    if isinstance(layer, keras.layers.Softmax) or (
        isinstance(layer, keras.layers.Activation) and _activation_name(layer) in _SQUASHING
    ):
        return before, None, f"score before {layer.name}'s {_activation_name(layer) or 'softmax'}"
    act = _activation_name(layer)
    if act not in _SQUASHING:
        return out, None, ""
    try:
        head = type(layer).from_config({**layer.get_config(), "activation": "linear"})
        head.build(tuple(before.shape))
        head.set_weights(layer.get_weights())
    except Exception:  # noqa: BLE001 - a layer that cannot be copied: explain its output
        return out, None, f"score after {layer.name}'s {act} (the layer could not be copied)"
    return before, head, f"score before {layer.name}'s {act}"


class Explainer:
    """Grad-CAM and saliency for one model; raises NotApplicable if it is no image classifier."""

    def __init__(self, model: Any, task: str | None = None, output: str | None = None) -> None:
        import keras

        self.model = model
        if task is not None and task != "classification":
            raise NotApplicable(
                f"The project's data is a {task} task, not a classification: Grad-CAM and "
                "saliency explain the score of a class."
            )
        inputs = list(model.inputs)
        images = [i for i, t in enumerate(inputs) if len(t.shape) == 4]
        if not images:
            shapes = ", ".join(f"{t.name} ({_shape(t)})" for t in inputs)
            raise NotApplicable(
                "Grad-CAM and saliency need an image input (height × width × channels); "
                f"this model's inputs are {shapes}."
            )
        self.image_position = images[0]
        self.image_name = inputs[images[0]].name
        self.image_dtype = str(getattr(inputs[images[0]].dtype, "name", inputs[images[0]].dtype))
        names = list(model.output_names)
        outs = list(model.outputs)
        at = names.index(output) if output in names else None
        if at is None:
            at = next((k for k, t in enumerate(outs) if len(t.shape) == 2), None)
        if at is None or len(outs[at].shape) != 2:
            shapes = ", ".join(f"{n} ({_shape(t)})" for n, t in zip(names, outs))
            raise NotApplicable(
                "Grad-CAM and saliency explain a classifier: an output that is one vector of "
                f"class scores; this model's outputs are {shapes}."
            )
        self.output_name = names[at]
        out = outs[at]
        self.classes = int(out.shape[-1])
        base, self.head, self.score_note = _score_head(out)
        self.layers: list[str] = []  # spatial layers (4-D outputs), in the model's order
        self.convs: set[str] = set()
        tensors = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            t = _single_output(layer)
            if t is None or len(t.shape) != 4:
                continue
            self.layers.append(layer.name)
            tensors.append(t)
            if _is_conv(layer):
                self.convs.add(layer.name)
        self.grad_model = keras.Model(inputs=model.input, outputs=[*tensors, base, out])

    # ----- running -----------------------------------------------------------------------------
    def _image(self, x: Any) -> tuple[Any, Any]:
        """(x with the image as a tf tensor, that tensor)."""
        import tensorflow as tf

        # Keras takes no mix of tensors and arrays in one call: every input becomes a tensor.
        if isinstance(x, dict):
            x = {k: tf.convert_to_tensor(v) for k, v in x.items()}
            image = x[self.image_name] = tf.cast(x[self.image_name], tf.float32)
            return x, image
        if isinstance(x, list | tuple):
            items = [tf.convert_to_tensor(v) for v in x]
            image = items[self.image_position] = tf.cast(items[self.image_position], tf.float32)
            return items, image
        image = tf.convert_to_tensor(x, dtype=tf.float32)
        return image, image

    def _call(self, x: Any) -> list:
        """The grad model's outputs; an integer image input is fed as floats, not cast back to
        its integers (which would cut the gradient)."""
        if "float" in self.image_dtype:
            return list(self.grad_model(x, training=False))
        import tensorflow as tf

        from app.keras_internals import call_without_input_cast

        inputs = list(self.grad_model.inputs)
        if isinstance(x, dict):
            items = [x[t.name] for t in inputs]
        elif isinstance(x, list | tuple):
            items = list(x)
        else:
            items = [x]
        items = [
            v if k == self.image_position else tf.cast(v, t.dtype)
            for k, (v, t) in enumerate(zip(items, inputs))
        ]
        return call_without_input_cast(self.grad_model, items)

    def _run(self, x: Any, class_index: int | None, watch_input: bool) -> dict:
        import tensorflow as tf

        x, image = self._image(x)
        with tf.GradientTape() as tape:
            if watch_input:
                tape.watch(image)
            *maps, base, probs = self._call(x)
            scores = base if self.head is None else self.head(base)
            scores = tf.reshape(tf.cast(scores, tf.float32), (-1, self.classes))
            probs = np.asarray(probs, dtype=np.float32).reshape(-1, self.classes)
            if class_index is None:
                class_index = int(np.argmax(probs[0])) if self.classes > 1 else 0
            if not 0 <= class_index < self.classes:
                raise NotApplicable(
                    f"Class {class_index} does not exist; the output has {self.classes}."
                )
            score = scores[:, class_index]
        sources = [image, *maps] if watch_input else maps
        grads = tape.gradient(score, sources)
        return {
            "class_index": class_index,
            "probability": float(probs[0, class_index]),
            "image": np.asarray(image)[0],
            "maps": maps,
            "grads": grads,
        }

    def gradcam(
        self, x: Any, layer: str | None = None, class_index: int | None = None
    ) -> Explanation:
        """Grad-CAM of a class (the predicted one if None) at `layer` (a layer with feature
        maps before the output; None or any other layer: the last convolutional layer)."""
        if not self.layers:
            raise NotApplicable(
                "Grad-CAM needs a convolutional layer (an output with feature maps) between the "
                "image input and the output; this model has none. Saliency still applies."
            )
        got = self._run(x, class_index, watch_input=False)
        grads = dict(zip(self.layers, got["grads"]))
        maps = dict(zip(self.layers, got["maps"]))
        on_path = [n for n in self.layers if grads[n] is not None]
        if layer in on_path:
            chosen, note = layer, ""
        else:
            convs = [n for n in on_path if n in self.convs]
            if not convs:
                raise NotApplicable(
                    "Grad-CAM needs a convolutional layer before the output "
                    f"'{self.output_name}'; none of this model's layers leads to it. "
                    "Saliency still applies."
                )
            chosen = convs[-1]
            why = (
                f"'{layer}' has no feature maps that lead to the output"
                if layer is not None
                else "none chosen"
            )
            note = f"the last convolutional layer ({why})"
        cam = gradcam_map(np.asarray(maps[chosen])[0], np.asarray(grads[chosen])[0])
        if cam.size == 1:
            note = "; ".join(
                n
                for n in (
                    note,
                    f"{chosen}'s maps are 1×1, so they cannot show where: choose an earlier layer",
                )
                if n
            )
        image = got["image"]
        return Explanation(
            method=GRADCAM,
            heatmap=resize_map(cam, image.shape[:2]),
            image=image,
            class_index=got["class_index"],
            probability=got["probability"],
            layer=chosen,
            cam=cam,
            note="; ".join(n for n in (note, self.score_note) if n),
        )

    def saliency(self, x: Any, class_index: int | None = None) -> Explanation:
        """|d score / d input| of a class, the maximum over channels, scaled to 0..1."""
        got = self._run(x, class_index, watch_input=True)
        grad = got["grads"][0]
        if grad is None and "float" not in self.image_dtype:
            raise NotApplicable(
                f"The image input '{self.image_name}' holds integers ({self.image_dtype}) and "
                f"the layers reading it use them as integers (as indices or categories), so "
                "no pixel has a gradient: saliency cannot show where the model looks. Grad-CAM "
                "still applies if a convolution follows."
            )
        if grad is None:
            raise NotApplicable(f"The output '{self.output_name}' does not depend on the image.")
        heat = np.max(np.abs(np.asarray(grad, dtype=np.float32)[0]), axis=-1)
        top = float(heat.max())
        return Explanation(
            method=SALIENCY,
            heatmap=heat / top if top > 0 else np.zeros_like(heat),
            image=got["image"],
            class_index=got["class_index"],
            probability=got["probability"],
            note=self.score_note,
        )

    def explain(
        self, method: str, x: Any, layer: str | None = None, class_index: int | None = None
    ) -> Explanation:
        if method == GRADCAM:
            return self.gradcam(x, layer, class_index)
        return self.saliency(x, class_index)


def gradcam_map(maps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM from one sample's feature maps (h, w, C) and the class score's gradient with
    respect to them: ReLU(sum_k mean(grad_k) * map_k), scaled so that its maximum is 1."""
    weights = grads.astype(np.float32).mean(axis=(0, 1))
    cam = np.maximum(maps.astype(np.float32) @ weights, 0.0)
    top = float(cam.max())
    return cam / top if top > 0 else np.zeros_like(cam)


def resize_map(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A 0..1 map (h, w) resized bilinearly to `size` (H, W), its maximum 1 again (the
    resized samples may miss the peak)."""
    import tensorflow as tf

    big = tf.image.resize(cam[None, :, :, None].astype(np.float32), size, method="bilinear")
    big = np.clip(np.asarray(big)[0, :, :, 0], 0.0, None)
    top = float(big.max())
    return np.clip(big / top, 0.0, 1.0) if top > 0 else big


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The input image (H, W, C) as grey or colour, scaled to 0..1, with the heatmap over it in
    the "jet" colours: an (H, W, 3) float array in 0..1, for drawing and for PNG files."""
    img = image.astype(np.float32)
    if img.shape[-1] == 3:
        rgb = img
    else:
        grey = img.mean(axis=-1) if img.shape[-1] != 1 else img[..., 0]
        rgb = np.repeat(grey[..., None], 3, axis=-1)
    lo, hi = float(rgb.min()), float(rgb.max())
    rgb = (rgb - lo) / (hi - lo) if hi > lo else np.zeros_like(rgb)
    return np.clip((1 - alpha) * rgb + alpha * jet(heatmap), 0.0, 1.0)


def picture_scale(height: int, width: int, min_side: int = 256) -> int:
    """The integer factor that brings an image's longer side to at least `min_side` pixels (1
    for images that large already): an 8×8 digit becomes 256×256."""
    return max(1, -(-min_side // max(height, width, 1)))


def picture_panels(e: Explanation, scale: int) -> list[np.ndarray]:
    """The input, the heatmap and the heatmap over the input as (H·scale, W·scale, 3) uint8 RGB
    images at the input's resolution, each pixel repeated scale×scale times (nearest
    neighbour), for PNG files."""
    flat = np.zeros(e.heatmap.shape, np.float32)
    panels = (overlay(e.image, flat, alpha=0.0), jet(e.heatmap), overlay(e.image, e.heatmap))
    out = []
    for rgb in panels:
        pixels = np.round(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
        out.append(np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1))
    return out


def jet(v: np.ndarray) -> np.ndarray:
    """The "jet" colour map of values in 0..1: (..., 3) RGB in 0..1."""
    v = np.clip(v.astype(np.float32), 0.0, 1.0)
    r = np.clip(1.5 - np.abs(4 * v - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * v - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * v - 1), 0, 1)
    return np.stack([r, g, b], axis=-1)
