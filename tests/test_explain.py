"""Tests of cnnbook.explain (chapter 11): saliency, Grad-CAM, occlusion and FGSM.

Each function is checked against an independent computation on small models whose answer is
known: finite differences, the class activation map (CAM) of a GAP + Dense head, the closed form
of a linear model, and NumPy's softmax gradient.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnnbook.explain import fgsm, grad_cam, occlusion_map, saliency_map, upsample  # noqa: E402


def conv_gap_model(dtype="float64", seed=0):
    """conv 3x3x4 (ReLU) -> conv 3x3x5 (ReLU, named 'last') -> GAP -> Dense 3."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1), dtype=dtype)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", dtype=dtype)(inputs)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="last", dtype=dtype)(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap", dtype=dtype)(x)
    outputs = keras.layers.Dense(3, name="head", dtype=dtype)(x)
    return keras.Model(inputs, outputs)


def linear_model(seed=0):
    """Flatten -> Dense 3 without bias, float64: score_c = sum(W[:, c] * x)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1), dtype="float64")
    x = keras.layers.Flatten(dtype="float64")(inputs)
    outputs = keras.layers.Dense(3, use_bias=False, dtype="float64")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).uniform(0.05, 0.95, size=(4, 8, 8, 1))


@pytest.fixture(scope="module")
def model():
    return conv_gap_model()


def central_difference(model, image, label, i, j, h=1e-6):
    plus, minus = image.copy(), image.copy()
    plus[i, j, 0] += h
    minus[i, j, 0] -= h
    score = lambda x: float(model(x[None]).numpy()[0, label])  # noqa: E731
    return (score(plus) - score(minus)) / (2 * h)


def test_saliency_is_the_absolute_gradient(model, images):
    labels = np.array([0, 1, 2, 1])
    saliency = saliency_map(model, images, labels)
    assert saliency.shape == (4, 8, 8)
    for n in range(2):
        for i, j in [(0, 0), (3, 4), (7, 2)]:
            expected = abs(central_difference(model, images[n], labels[n], i, j))
            assert saliency[n, i, j] == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_saliency_explains_the_requested_class(model, images):
    one = saliency_map(model, images[:1], [0])
    other = saliency_map(model, images[:1], [2])
    assert not np.allclose(one, other)


def test_grad_cam_equals_cam_for_a_gap_dense_head(model, images):
    labels = np.array([2, 0, 1, 2])
    heat = grad_cam(model, images, labels, "last")
    maps = keras.Model(model.input, model.get_layer("last").output)(images).numpy()
    weights = model.get_layer("head").get_weights()[0]           # (5, 3)
    cam = np.einsum("nijk,kn->nij", maps, weights[:, labels])
    np.testing.assert_allclose(heat, np.maximum(cam, 0) / 64, rtol=1e-10, atol=1e-12)


def test_upsample_keeps_constant_maps_and_size():
    maps = np.full((2, 7, 7), 0.25)
    out = upsample(maps, 28)
    assert out.shape == (2, 28, 28)
    np.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_occlusion_of_a_linear_model_is_the_patch_sum():
    """For score = sum(W * x) and fill 0, covering a square lowers the score by sum(W * x) over it."""
    model = linear_model()
    image = np.random.default_rng(2).uniform(0, 1, size=(6, 6, 1))
    weights = model.layers[-1].get_weights()[0][:, 1].reshape(6, 6)
    patch, stride = 3, 3
    result = occlusion_map(model, image, 1, patch=patch, stride=stride)
    for i in range(0, 6, 3):
        for j in range(0, 6, 3):
            block = (weights * image[:, :, 0])[i:i + 3, j:j + 3].sum()
            np.testing.assert_allclose(result[i:i + 3, j:j + 3], block, rtol=1e-10)


def test_occlusion_averages_overlapping_squares():
    model = linear_model()
    image = np.random.default_rng(4).uniform(0, 1, size=(6, 6, 1))
    contribution = model.layers[-1].get_weights()[0][:, 0].reshape(6, 6) * image[:, :, 0]
    result = occlusion_map(model, image, 0, patch=2, stride=1)
    # pixel (0, 0) is covered only by the square at (0, 0); pixel (1, 1) by four squares
    assert result[0, 0] == pytest.approx(contribution[:2, :2].sum())
    four = [contribution[a:a + 2, b:b + 2].sum() for a in (0, 1) for b in (0, 1)]
    assert result[1, 1] == pytest.approx(np.mean(four))


def test_occlusion_of_blank_background_is_exactly_zero(model):
    image = np.zeros((8, 8, 1))
    image[5:, 5:, 0] = 0.7
    result = occlusion_map(model, image, 0, patch=4, stride=4)
    assert np.all(result[:4, :4] == 0)


def softmax_gradient_sign(model, images, labels):
    """Sign of d cross-entropy / d x for the bias-free linear model, by NumPy: W (p - onehot)."""
    weights = model.layers[-1].get_weights()[0]                 # (36, 3)
    logits = images.reshape(len(images), -1) @ weights
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(len(labels)), labels] -= 1
    return np.sign(probs @ weights.T).reshape(images.shape)


def test_fgsm_moves_each_pixel_by_eps_along_the_gradient_sign():
    model = linear_model()
    images = np.random.default_rng(5).uniform(0.3, 0.7, size=(5, 6, 6, 1))
    labels = np.array([0, 1, 2, 0, 1])
    adversarial = fgsm(model, images, labels, 0.1)
    expected = images + 0.1 * softmax_gradient_sign(model, images, labels)
    np.testing.assert_allclose(adversarial, expected, atol=1e-6)


def test_fgsm_clips_to_the_pixel_range_and_eps_zero_is_identity(model, images):
    labels = np.array([0, 1, 2, 0])
    far = fgsm(model, images, labels, 0.5)
    assert far.min() >= 0 and far.max() <= 1
    assert np.max(np.abs(far - images)) <= 0.5 + 1e-6
    np.testing.assert_allclose(fgsm(model, images, labels, 0.0), images, atol=1e-7)


def test_fgsm_gradient_survives_a_confident_prediction():
    """A float32 softmax gives probability exactly 1 here; the float64 loss still has a direction."""
    model = linear_model()
    weights = model.layers[-1].get_weights()[0]
    image = np.clip(np.sign(weights[:, 0]).reshape(1, 6, 6, 1), 0, 1) * 1.0
    scale = 60 / max(1e-9, float((image.reshape(1, -1) @ weights)[0, 0]))
    model.layers[-1].set_weights([weights * scale])
    adversarial = fgsm(model, image, [0], 0.05)
    assert np.any(adversarial != image)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x: saliency_map("not a model", x, [0]), "model"),
        (lambda m, x: saliency_map(m, x[0], [0]), "images"),
        (lambda m, x: saliency_map(m, x[:, :4], [0, 0, 0, 0]), "不符"),
        (lambda m, x: saliency_map(m, x * 255, [0, 0, 0, 0]), "255"),
        (lambda m, x: saliency_map(m, x, [0, 1]), "labels"),
        (lambda m, x: saliency_map(m, x, [0, 1, 2, 3]), "labels"),
        (lambda m, x: saliency_map(m, x, [0.5, 1, 2, 0]), "整数"),
        (lambda m, x: grad_cam(m, x, [0, 0, 0, 0], "nope"), "nope"),
        (lambda m, x: grad_cam(m, x, [0, 0, 0, 0], "gap"), "gap"),
        (lambda m, x: fgsm(m, x, [0, 0, 0, 0], -0.1), "eps"),
        (lambda m, x: fgsm(m, x, [0, 0, 0, 0], float("nan")), "eps"),
        (lambda m, x: fgsm(m, x, [0, 0, 0, 0], True), "eps"),
        (lambda m, x: occlusion_map(m, x[0], 0, patch=9), "patch"),
        (lambda m, x: occlusion_map(m, x[0], 0, patch=0), "patch"),
        (lambda m, x: occlusion_map(m, x[0], 0, stride=1.5), "stride"),
        (lambda m, x: occlusion_map(m, x[0], 0, fill=-1.0), "fill"),
        (lambda m, x: occlusion_map(m, x[0], 5), "labels"),
        (lambda m, x: upsample(np.zeros((1, 7, 7)), 0), "size"),
    ],
)
def test_bad_input_is_a_plain_value_error(model, images, call, message):
    with pytest.raises(ValueError, match=message):
        call(model, images)


# ------------------------------------------------------------------------------------------------
# Found by mutation testing (2026-12-02)
# ------------------------------------------------------------------------------------------------


def linear_model_of(h, w, seed=0):
    """Flatten -> Dense 3 without bias for (h, w, 1) images, float64."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((h, w, 1), dtype="float64")
    x = keras.layers.Flatten(dtype="float64")(inputs)
    outputs = keras.layers.Dense(3, use_bias=False, dtype="float64")(x)
    return keras.Model(inputs, outputs)


def occlusion_reference(contribution, patch, stride):
    """Mean over the patch x patch squares (inside the image, top-left corners every stride pixels)
    that cover a pixel of the drop sum(contribution over the square); 0 where no square covers."""
    h, w = contribution.shape
    drops = {(i, j): contribution[i:i + patch, j:j + patch].sum()
             for i in range(0, h - patch + 1, stride) for j in range(0, w - patch + 1, stride)}
    result = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            covering = [d for (i, j), d in drops.items() if i <= y < i + patch and j <= x < j + patch]
            result[y, x] = np.mean(covering) if covering else 0.0
    return result


@pytest.mark.parametrize("h, w, patch, stride", [(6, 6, 2, 1), (6, 8, 3, 2), (6, 6, 4, 4), (6, 8, 6, 1), (7, 6, 3, 3)])
def test_occlusion_map_of_a_linear_model_everywhere(h, w, patch, stride):
    """Every pixel, including the border ones that fewer squares cover and those that none covers (0)."""
    model = linear_model_of(h, w)
    image = np.random.default_rng(6).uniform(0, 1, size=(h, w, 1))
    contribution = model.layers[-1].get_weights()[0][:, 2].reshape(h, w) * image[:, :, 0]
    result = occlusion_map(model, image, 2, patch=patch, stride=stride)
    assert result.shape == (h, w) and np.all(np.isfinite(result))
    np.testing.assert_allclose(result, occlusion_reference(contribution, patch, stride), rtol=1e-9, atol=1e-12)


def test_occlusion_patch_must_fit_in_the_shorter_side():
    model = linear_model_of(6, 8)
    with pytest.raises(ValueError, match="occlusion_map: patch=7"):
        occlusion_map(model, np.zeros((6, 8, 1)), 0, patch=7)


def test_occlusion_defaults_are_10_pixel_squares_every_2_pixels():
    model = linear_model_of(28, 28)
    image = np.random.default_rng(7).uniform(0, 1, size=(28, 28, 1))
    np.testing.assert_array_equal(occlusion_map(model, image, 1), occlusion_map(model, image, 1, patch=10, stride=2))
    contribution = model.layers[-1].get_weights()[0][:, 1].reshape(28, 28) * image[:, :, 0]
    np.testing.assert_allclose(occlusion_map(model, image, 1), occlusion_reference(contribution, 10, 2), rtol=1e-9)


def test_grad_cam_checks_images_and_names_a_missing_layer(model, images):
    with pytest.raises(ValueError, match="grad_cam: images 的像素应在 0 到 1 之间"):
        grad_cam(model, images * 255, [0, 0, 0, 0], "last")
    with pytest.raises(ValueError, match="grad_cam: labels 应有 4 个"):
        grad_cam(model, images, [0, 0], "last")
    with pytest.raises(ValueError, match="grad_cam: 模型里没有名为 'nope' 的层"):
        grad_cam(model, images, [0, 0, 0, 0], "nope")


def test_fgsm_gradient_survives_a_logit_gap_of_200():
    """At a gap of 200 the float32 softmax of every other class is exactly 0 (exp(-200) underflows), so a
    float32 loss would have gradient exactly 0; in float64 exp(-200) = 1e-87 still gives the direction."""
    model = linear_model()
    weights = model.layers[-1].get_weights()[0]
    image = np.clip(np.sign(weights[:, 0]).reshape(1, 6, 6, 1), 0, 1) * 1.0
    scale = 200 / float((image.reshape(1, -1) @ weights)[0, 0])
    model.layers[-1].set_weights([weights * scale])
    adversarial = fgsm(model, image, [0], 0.05)
    np.testing.assert_allclose(adversarial, np.clip(image + 0.05 * softmax_gradient_sign(model, image, [0]), 0, 1))
    assert np.any(adversarial != image)


def test_fgsm_leaves_pixels_the_loss_does_not_depend_on():
    model = linear_model()
    weights = model.layers[-1].get_weights()[0]
    weights[:6] = 0.0                                     # the first row of the image has no weight
    model.layers[-1].set_weights([weights])
    images = np.random.default_rng(8).uniform(0.3, 0.7, size=(2, 6, 6, 1))
    adversarial = fgsm(model, images, [0, 1], 0.1)
    np.testing.assert_array_equal(adversarial[:, 0], images[:, 0])
    assert np.all(np.abs(adversarial[:, 1:] - images[:, 1:]) > 0.099)
