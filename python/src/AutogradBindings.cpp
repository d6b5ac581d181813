// Binds autograd on kiln._C.Tensor (requires_grad, grad, backward, detach) and the grad mode; lib/Trace/Autograd does the work.
#include "python/src/Bindings.h"

#include "lib/Trace/Autograd.h"
#include "lib/Trace/Trace.h"

#include <pybind11/stl.h>

namespace py = pybind11;
using kiln::trace::LazyTensor;

namespace {

std::vector<const LazyTensor *> tensors(py::handle sequence) {
  std::vector<const LazyTensor *> out;
  for (py::handle item : sequence)
    out.push_back(item.is_none() ? nullptr : &item.cast<const LazyTensor &>());
  return out;
}

// "MulBackward0" for a node recorded as kiln.mul, as PyTorch names grad_fn.
std::string gradFnName(const LazyTensor &t) {
  const std::shared_ptr<kiln::trace::Base> &base = t.base();
  if (!t.requiresGrad() || t.isLeaf() || !base->gradNode)
    return "";
  if (const char *view = t.viewGradFnName())
    return view;
  if (const kiln::trace::GradBoundary *boundary = base->gradNode->boundary.get())
    if (boundary->function && t.isWholeBase())
      return boundary->function->name;
  const kiln::trace::Node &node = *base->gradNode;
  if (!node.op)
    return "";
  std::string op = node.op;
  op = op.substr(op.find('.') + 1);
  // PyTorch's names where Kiln's op is named differently.
  if (op == "reduce") {
    // A reduction to a 0-d tensor is PyTorch's overload 0 (x.sum()), over
    // dimensions overload 1 (x.sum(1)); amax/amin have one.
    bool all = node.sizes.empty();
    for (auto [kind, name] : {std::pair{" sum>", "Sum"}, {" mean>", "Mean"}, {" prod>", "Prod"},
                              {" max>", "Amax"}, {" min>", "Amin"}})
      if (node.attrs.find(kind) != std::string::npos)
        return std::string(name) + (all || name[0] == 'A' ? "Backward0" : "Backward1");
  }
  static const std::pair<const char *, const char *> renamed[] = {
      {"cast", "ToCopyBackward0"},          {"broadcast_to", "ExpandBackward0"},
      {"reshape", "ViewBackward0"},         {"concat", "CatBackward0"},
      {"pad", "ConstantPadNdBackward0"},    {"conv2d", "ConvolutionBackward0"},
      {"avg_pool2d", "AvgPool2DBackward0"}, {"max_pool2d", "MaxPool2DWithIndicesBackward0"},
      {"splat", "FillBackward0"}};
  for (auto [kilnName, torchName] : renamed)
    if (op == kilnName)
      return torchName;
  if (op == "matmul")
    return node.inputs.size() == 2 && node.inputs[0]->sizes.size() == 2 &&
                   node.inputs[1]->sizes.size() == 2
               ? "MmBackward0"
               : "BmmBackward0";
  std::string name;
  bool upper = true;
  for (char c : op) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(c)) : c;
    upper = false;
  }
  return name + "Backward0";
}

// A Python object kept by the trace (hooks, a Function's context); released
// with the GIL held.
std::shared_ptr<void> keepObject(py::object object) {
  return std::shared_ptr<void>(new py::object(std::move(object)), [](void *p) {
    if (!Py_IsInitialized())
      return;
    py::gil_scoped_acquire gil;
    delete static_cast<py::object *>(p);
  });
}

py::object &objectOf(const std::shared_ptr<void> &kept) {
  return *static_cast<py::object *>(kept.get());
}

// The hook list of a tensor: on its base for a leaf, on its boundary for a
// non-leaf (created when `create`).
std::shared_ptr<void> *hookSlot(const LazyTensor &t, bool create) {
  if (t.isLeaf())
    return &t.base()->hooks;
  std::shared_ptr<kiln::trace::GradBoundary> boundary = t.gradBoundary(create);
  return boundary ? &boundary->hooks : nullptr;
}

kiln::trace::NodePtr runHooks(const std::shared_ptr<void> &hooks, kiln::trace::NodePtr grad) {
  py::list list(objectOf(hooks)); // a copy: a hook may remove itself
  for (py::handle hook : list) {
    LazyTensor current = LazyTensor::fromNode(grad);
    py::object replaced = hook(py::cast(current));
    if (replaced.is_none())
      continue;
    if (!py::isinstance<LazyTensor>(replaced))
      kiln::fail(kiln::ErrorKind::Type, "backward(): a tensor hook must return a Tensor or None, not ",
                 std::string(py::str(replaced.get_type().attr("__name__"))));
    const LazyTensor &value = replaced.cast<const LazyTensor &>();
    if (value.sizes() != grad->sizes)
      kiln::fail(kiln::ErrorKind::Runtime, "backward(): hook returned a gradient of shape ",
                 kiln::formatList(value.sizes()), " for a gradient of shape ", kiln::formatList(grad->sizes));
    grad = value.value();
  }
  return grad;
}

std::vector<kiln::trace::NodePtr> runFunction(const kiln::trace::CustomFunction &function,
                                              const std::vector<kiln::trace::NodePtr> &outputGrads) {
  py::list grads;
  for (const kiln::trace::NodePtr &grad : outputGrads)
    grads.append(grad ? py::cast(LazyTensor::fromNode(grad)) : py::none());
  py::object result = objectOf(function.object).attr("_run_backward")(grads);
  std::vector<kiln::trace::NodePtr> inputGrads;
  for (py::handle item : result)
    inputGrads.push_back(item.is_none() ? nullptr : item.cast<const LazyTensor &>().value());
  if (inputGrads.size() != function.inputs.size())
    kiln::fail(kiln::ErrorKind::Runtime, "backward(): ", function.name, " returned ", inputGrads.size(),
               " gradients for ", function.inputs.size(), " inputs");
  return inputGrads;
}

} // namespace

void bindAutograd(py::module_ &m) {
  auto cls = py::reinterpret_borrow<py::class_<LazyTensor>>(m.attr("Tensor"));
  kiln::trace::setGradCallbacks({&runHooks, &runFunction});
  cls.def_property(
         "requires_grad", &LazyTensor::requiresGrad,
         [](LazyTensor &t, bool value) { t.setRequiresGrad(value); },
         "Whether gradients are recorded for this tensor.")
      .def(
          "requires_grad_",
          [](py::object self, bool value) {
            self.cast<LazyTensor &>().setRequiresGrad(value);
            return self;
          },
          py::arg("requires_grad") = true)
      .def_property_readonly("is_leaf", &LazyTensor::isLeaf)
      .def_property_readonly("_grad_fn_name", &gradFnName)
      .def_property_readonly("_version", [](const LazyTensor &t) { return t.base()->dataVersion; },
                             "PyTorch's version counter: bumped by every in-place change.")
      .def_property(
          "grad",
          [](const LazyTensor &t) -> py::object {
            std::shared_ptr<LazyTensor> grad;
            if (t.isLeaf())
              grad = t.base()->grad;
            else if (auto boundary = t.gradBoundary(false))
              grad = boundary->grad;
            return grad ? py::cast(*grad) : py::none();
          },
          [](LazyTensor &t, py::object value) {
            std::shared_ptr<LazyTensor> *slot;
            if (t.isLeaf()) {
              slot = &t.base()->grad;
            } else if (auto boundary = t.gradBoundary(true)) {
              slot = &boundary->grad;
            } else {
              kiln::fail(kiln::ErrorKind::Runtime, "grad: cannot assign .grad of a tensor that does not require grad");
            }
            if (value.is_none()) {
              slot->reset();
              return;
            }
            const LazyTensor &grad = value.cast<const LazyTensor &>();
            if (grad.sizes() != t.sizes() || grad.dtype() != t.dtype())
              kiln::fail(kiln::ErrorKind::Runtime,
                         "grad: assigned grad has data of a different size or type (",
                         kiln::name(grad.dtype()), kiln::formatList(grad.sizes()),
                         " for a ", kiln::name(t.dtype()), kiln::formatList(t.sizes()), " tensor)");
            *slot = std::make_shared<LazyTensor>(grad);
          })
      .def("detach", &LazyTensor::detach)
      .def("detach_",
           [](py::object self) {
             LazyTensor &t = self.cast<LazyTensor &>();
             if (!t.isWholeBase() && t.requiresGrad())
               kiln::fail(kiln::ErrorKind::Runtime,
                          "detach_(): Can't detach views in-place. Use detach() instead.");
             t = t.detach();
             return self;
           })
      .def_property(
          "data", &LazyTensor::detach,
          [](LazyTensor &t, const LazyTensor &value) { t.setData(value); },
          "This tensor's value without history; assigning replaces the value (any dtype or shape) and keeps "
          "requires_grad, .grad and hooks.")
      .def_property_readonly("_hooks",
                             [](const LazyTensor &t) -> py::object {
                               std::shared_ptr<void> *slot = hookSlot(t, false);
                               if (!slot || !*slot)
                                 return py::none();
                               return objectOf(*slot);
                             })
      .def("_hook_list",
           [](LazyTensor &t) -> py::object {
             std::shared_ptr<void> *slot = hookSlot(t, true);
             if (!slot)
               kiln::fail(kiln::ErrorKind::Runtime,
                          "register_hook(): cannot register a hook on a tensor that doesn't require gradient");
             if (!*slot)
               *slot = keepObject(py::list());
             return objectOf(*slot);
           })
      .def("retain_grad", [](LazyTensor &t) {
        if (!t.requiresGrad())
          kiln::fail(kiln::ErrorKind::Runtime, "retain_grad(): can't retain_grad on Tensor that has requires_grad=False");
        if (auto boundary = t.gradBoundary(true))
          boundary->retainGrad = true;
      })
      .def_property_readonly("retains_grad", [](const LazyTensor &t) {
        auto boundary = t.isLeaf() ? nullptr : t.gradBoundary(false);
        return boundary && boundary->retainGrad;
      });

  m.def("_function_outputs", [](py::object context, const std::string &name, py::list inputs, py::list outputs) {
    auto function = std::make_shared<kiln::trace::CustomFunction>();
    function->object = keepObject(context);
    function->name = name;
    for (py::handle item : inputs)
      function->inputs.push_back(item.is_none() ? nullptr : item.cast<const LazyTensor &>().gradValue());
    py::list result;
    for (const LazyTensor &out : kiln::trace::attachFunction(function, tensors(outputs)))
      result.append(py::cast(out));
    return result;
  });
  m.def("is_grad_enabled", &kiln::trace::gradEnabled);
  m.def("_set_grad_enabled", &kiln::trace::setGradEnabled);
  m.def(
      "_backward",
      [](py::list outputs, py::list gradOutputs, py::list inputs, bool retainGraph, bool createGraph) {
        kiln::trace::backward(tensors(outputs), tensors(gradOutputs), tensors(inputs), retainGraph,
                              createGraph);
      });
  m.def(
      "_grad",
      [](py::list outputs, py::list gradOutputs, py::list inputs, bool retainGraph,
         bool createGraph) {
        std::vector<kiln::trace::NodePtr> wrt;
        for (py::handle item : inputs) {
          const LazyTensor &t = item.cast<const LazyTensor &>();
          kiln::trace::NodePtr node = t.gradValue();
          if (!node)
            kiln::fail(kiln::ErrorKind::Runtime,
                       "grad(): One of the differentiated Tensors does not require grad");
          wrt.push_back(node);
        }
        std::vector<kiln::trace::NodePtr> grads = kiln::trace::gradients(
            "grad", tensors(outputs), tensors(gradOutputs), wrt, retainGraph, createGraph);
        py::list result;
        for (const kiln::trace::NodePtr &g : grads)
          result.append(g ? py::cast(LazyTensor::fromNode(g)) : py::none());
        return result;
      });
}
