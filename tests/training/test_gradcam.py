"""Grad-CAM equals a reference written here with GradientTape (the Keras example's recipe: the
softmax removed from the last layer); heatmaps have the input's height x width and lie in 0..1;
saliency is zero where the model does not look; models where neither applies say why."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from app.training.gradcam import (
    GRADCAM,
    SALIENCY,
    Explainer,
    NotApplicable,
    gradcam_map,
    overlay,
)


def tiny_classifier(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = keras.Input((10, 10, 1), name="img")
    c1 = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(x)
    p = keras.layers.MaxPooling2D(name="pool")(c1)
    c2 = keras.layers.Conv2D(6, 2, activation="relu", name="conv_b")(p)
    f = keras.layers.Flatten(name="flat")(c2)
    return keras.Model(x, keras.layers.Dense(3, activation="softmax", name="out")(f))


def sample(seed: int = 1, shape=(1, 10, 10, 1)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype("float32")


def reference_gradcam(model: keras.Model, x: np.ndarray, layer: str, class_index: int):
    """The Keras example, step by step, on a copy of the model whose last layer has no softmax."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = None
    grad_model = keras.Model(copy.input, [copy.get_layer(layer).output, copy.output])
    with tf.GradientTape() as tape:
        maps, preds = grad_model(x)
        score = preds[:, class_index]
    grads = tape.gradient(score, maps)
    pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
    heat = tf.squeeze(maps[0] @ pooled[..., tf.newaxis])
    heat = tf.maximum(heat, 0) / tf.math.reduce_max(heat)
    return heat.numpy()


@pytest.mark.parametrize("layer", ["conv_a", "conv_b"])
@pytest.mark.parametrize("class_index", [0, 2])
def test_gradcam_equals_the_reference(layer, class_index):
    model = tiny_classifier()
    x = sample()
    got = Explainer(model).gradcam(x, layer=layer, class_index=class_index)
    want = reference_gradcam(model, x, layer, class_index)
    assert got.layer == layer and got.class_index == class_index
    assert got.cam.shape == want.shape
    np.testing.assert_allclose(got.cam, want, rtol=1e-4, atol=1e-5)
    assert got.heatmap.shape == (10, 10)
    assert got.heatmap.min() >= 0.0 and got.heatmap.max() <= 1.0
    assert got.heatmap.max() == pytest.approx(1.0)
    # The score was the logit: the model's own last layer still has its softmax.
    assert model.get_layer("out").activation is keras.activations.softmax
    probs = model.predict(x, verbose=0)[0]
    assert got.probability == pytest.approx(float(probs[class_index]), rel=1e-5)


def test_default_class_is_the_predicted_one_and_default_layer_the_last_conv():
    model = tiny_classifier(3)
    x = sample(4)
    got = Explainer(model).gradcam(x, layer="flat")  # no feature maps: the last conv instead
    predicted = int(np.argmax(model.predict(x, verbose=0)[0]))
    assert got.class_index == predicted and got.layer == "conv_b"
    assert "last convolutional layer" in got.note and "'flat'" in got.note
    want = reference_gradcam(model, x, "conv_b", predicted)
    np.testing.assert_allclose(got.cam, want, rtol=1e-4, atol=1e-5)


def test_a_non_conv_spatial_layer_can_be_chosen():
    model = tiny_classifier()
    got = Explainer(model).gradcam(sample(), layer="pool", class_index=1)
    np.testing.assert_allclose(
        got.cam, reference_gradcam(model, sample(), "pool", 1), rtol=1e-4, atol=1e-5
    )


def test_gradcam_map_is_relu_of_the_weighted_sum():
    maps = np.zeros((2, 2, 2), np.float32)
    maps[..., 0] = [[1, 0], [0, 0]]
    maps[..., 1] = [[0, 0], [0, 2]]
    grads = np.zeros((2, 2, 2), np.float32)
    grads[..., 0] = 1.0  # mean 1
    grads[..., 1] = -1.0  # mean -1
    np.testing.assert_allclose(gradcam_map(maps, grads), [[1, 0], [0, 0]])


def left_half_model() -> keras.Model:
    """Looks only at the left half of a 6x8 image (the right four columns are cropped off)."""
    keras.utils.set_random_seed(5)
    x = keras.Input((6, 8, 2), name="img")
    left = keras.layers.Cropping2D(((0, 0), (0, 4)), name="left")(x)
    c = keras.layers.Conv2D(3, 2, activation="tanh", name="conv")(left)
    f = keras.layers.Flatten(name="flat")(c)
    return keras.Model(x, keras.layers.Dense(4, activation="softmax", name="out")(f))


def test_saliency_is_zero_where_the_input_does_not_matter():
    model = left_half_model()
    x = sample(7, (1, 6, 8, 2))
    got = Explainer(model).saliency(x, class_index=1)
    assert got.method == SALIENCY and got.heatmap.shape == (6, 8)
    assert got.heatmap.min() >= 0.0 and got.heatmap.max() == pytest.approx(1.0)
    assert np.all(got.heatmap[:, 4:] == 0.0)
    assert np.count_nonzero(got.heatmap[:, :4]) > 12
    # |d logit / d x|, max over channels, as computed directly.
    head = keras.Model(model.input, model.get_layer("flat").output)
    w, b = model.get_layer("out").get_weights()
    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        logit = (head(xt) @ w + b)[:, 1]
    want = np.max(np.abs(tape.gradient(logit, xt).numpy()[0]), axis=-1)
    np.testing.assert_allclose(got.heatmap, want / want.max(), rtol=1e-4, atol=1e-6)


def test_gradcam_heatmap_covers_the_input_and_separate_softmax_layer():
    keras.utils.set_random_seed(2)
    x = keras.Input((8, 8, 3), name="img")
    c = keras.layers.Conv2D(5, 3, padding="same", name="conv")(x)
    g = keras.layers.GlobalAveragePooling2D(name="gap")(c)
    d = keras.layers.Dense(2, name="logits")(g)
    model = keras.Model(x, keras.layers.Softmax(name="probs")(d))
    got = Explainer(model).explain(GRADCAM, sample(3, (1, 8, 8, 3)), class_index=0)
    assert got.heatmap.shape == (8, 8) and got.layer == "conv"
    assert "before probs" in got.note
    rgb = overlay(got.image, got.heatmap)
    assert rgb.shape == (8, 8, 3) and rgb.min() >= 0 and rgb.max() <= 1


def test_where_it_does_not_apply_it_says_why():
    v = keras.Input((16,), name="vec")
    dense = keras.Model(v, keras.layers.Dense(3, activation="softmax")(v))
    with pytest.raises(NotApplicable, match="image input"):
        Explainer(dense)

    img = keras.Input((4, 4, 1), name="img")
    flat = keras.layers.Flatten()(img)
    no_conv = keras.Model(img, keras.layers.Dense(3, activation="softmax")(flat))
    explainer = Explainer(no_conv)
    with pytest.raises(NotApplicable, match="convolutional layer"):
        explainer.gradcam(sample(0, (1, 4, 4, 1)))
    assert explainer.saliency(sample(0, (1, 4, 4, 1))).heatmap.shape == (4, 4)

    img = keras.Input((6, 6, 1), name="img")
    auto = keras.Model(img, keras.layers.Conv2D(1, 3, padding="same")(img))
    with pytest.raises(NotApplicable, match="classifier"):
        Explainer(auto)

    with pytest.raises(NotApplicable, match="regression"):
        Explainer(tiny_classifier(), task="regression")

    with pytest.raises(NotApplicable, match="Class 7"):
        Explainer(tiny_classifier()).gradcam(sample(), class_index=7)


def test_binary_sigmoid_output_and_a_second_input():
    """A sigmoid output of one unit is explained by its logit; a model with an image and a vector
    input takes its sample as a dict, and the saliency is of the image only."""
    keras.utils.set_random_seed(4)
    img, vec = keras.Input((6, 6, 1), name="img"), keras.Input((3,), name="vec")
    c = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(img)
    joined = keras.layers.Concatenate(name="join")([keras.layers.Flatten()(c), vec])
    model = keras.Model([img, vec], keras.layers.Dense(1, activation="sigmoid", name="yes")(joined))
    x = {"img": sample(8, (1, 6, 6, 1)), "vec": sample(9, (1, 3))}
    explainer = Explainer(model)
    got = explainer.gradcam(x)
    assert got.class_index == 0 and got.layer == "conv"
    assert got.probability == pytest.approx(float(model.predict(x, verbose=0)[0, 0]), rel=1e-5)
    w, b = model.get_layer("yes").get_weights()
    grad_model = keras.Model(model.input, [c, joined])
    with tf.GradientTape() as tape:
        maps, features = grad_model(x)
        logit = (features @ w + b)[:, 0]
    grads = tape.gradient(logit, maps)
    np.testing.assert_allclose(
        got.cam, gradcam_map(maps.numpy()[0], grads.numpy()[0]), rtol=1e-4, atol=1e-5
    )
    sal = explainer.saliency(x)
    assert sal.heatmap.shape == (6, 6) and sal.image.shape == (6, 6, 1)


@pytest.mark.parametrize("dtype", ["uint8", "int32"])
def test_saliency_of_integer_pixels_before_a_rescaling_layer(dtype):
    """uint8 / int32 images fed to a Rescaling layer: the saliency and Grad-CAM are those of the
    same model taking the pixels as floats (the integers have no gradient of their own)."""

    def build(input_dtype):
        keras.utils.set_random_seed(11)
        x = keras.Input((8, 8, 1), dtype=input_dtype, name="img")
        r = keras.layers.Rescaling(1 / 255, name="scale")(x)
        c = keras.layers.Conv2D(3, 3, activation="tanh", name="conv")(r)
        f = keras.layers.Flatten(name="flat")(c)
        return keras.Model(x, keras.layers.Dense(4, activation="softmax", name="out")(f))

    ints, floats = build(dtype), build("float32")
    floats.set_weights(ints.get_weights())
    pixels = np.random.default_rng(3).integers(0, 256, (1, 8, 8, 1))
    got = Explainer(ints).saliency(pixels.astype(dtype), class_index=2)
    want = Explainer(floats).saliency(pixels.astype("float32"), class_index=2)
    assert got.heatmap.shape == (8, 8) and got.heatmap.max() == pytest.approx(1.0)
    np.testing.assert_allclose(got.heatmap, want.heatmap, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.image[..., 0], pixels[0, ..., 0])
    assert got.probability == pytest.approx(want.probability, rel=1e-5)
    cam = Explainer(ints).gradcam(pixels.astype(dtype))
    np.testing.assert_allclose(cam.cam, Explainer(floats).gradcam(pixels).cam, atol=1e-5)


def test_integer_pixels_used_as_integers_are_refused_in_words():
    """Pixels that index an embedding have no gradient: saliency says so, not 'no dependence'."""
    keras.utils.set_random_seed(12)
    x = keras.Input((4, 4, 1), dtype="int32", name="img")
    e = keras.layers.Embedding(16, 2, name="embed")(keras.layers.Reshape((16,))(x))
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(e))
    model = keras.Model(x, out)
    with pytest.raises(NotApplicable, match=r"holds integers \(int32\).*as integers"):
        Explainer(model).saliency(np.arange(16).reshape(1, 4, 4, 1) % 16)
