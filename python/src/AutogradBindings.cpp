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
  if (!base->gradNode->op)
    return "";
  std::string op = base->gradNode->op;
  op = op.substr(op.find('.') + 1);
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

} // namespace

void bindAutograd(py::module_ &m) {
  auto cls = py::reinterpret_borrow<py::class_<LazyTensor>>(m.attr("Tensor"));
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
      .def_property(
          "grad",
          [](const LazyTensor &t) -> py::object {
            if (!t.isLeaf() && !t.base()->retainGrad)
              return py::none();
            if (!t.base()->grad)
              return py::none();
            return py::cast(*t.base()->grad);
          },
          [](LazyTensor &t, py::object value) {
            if (value.is_none()) {
              t.base()->grad.reset();
              return;
            }
            const LazyTensor &grad = value.cast<const LazyTensor &>();
            if (grad.sizes() != t.sizes() || grad.dtype() != t.dtype())
              kiln::fail(kiln::ErrorKind::Runtime,
                         "grad: assigned grad has data of a different size or type (",
                         kiln::name(grad.dtype()), kiln::formatList(grad.sizes()),
                         " for a ", kiln::name(t.dtype()), kiln::formatList(t.sizes()), " tensor)");
            t.base()->grad = std::make_shared<LazyTensor>(grad);
          })
      .def("detach", &LazyTensor::detach)
      .def_property(
          "data", &LazyTensor::detach,
          [](LazyTensor &t, const LazyTensor &value) { t.setData(value); },
          "This tensor's value without history; assigning replaces the value (any dtype or shape) and keeps "
          "requires_grad, .grad and hooks.")
      .def_property_readonly("_hooks",
                             [](const LazyTensor &t) -> py::object {
                               if (!t.base()->hooks)
                                 return py::none();
                               return *static_cast<py::list *>(t.base()->hooks.get());
                             })
      .def("_hook_list",
           [](LazyTensor &t) -> py::object {
             if (!t.base()->hooks)
               t.base()->hooks = std::shared_ptr<void>(
                   new py::list(), [](void *p) { delete static_cast<py::list *>(p); });
             return *static_cast<py::list *>(t.base()->hooks.get());
           })
      .def("retain_grad", [](LazyTensor &t) {
        if (!t.requiresGrad())
          kiln::fail(kiln::ErrorKind::Runtime, "retain_grad(): can't retain_grad on Tensor that has requires_grad=False");
        t.base()->retainGrad = true;
      });

  m.def("_reachable_leaves", [](py::list outputs) {
    py::list result;
    for (const std::shared_ptr<kiln::trace::Base> &base :
         kiln::trace::reachableLeaves(tensors(outputs)))
      result.append(py::cast(LazyTensor::ofBase(base)));
    return result;
  });
  m.def("is_grad_enabled", &kiln::trace::gradEnabled);
  m.def("_set_grad_enabled", &kiln::trace::setGradEnabled);
  m.def(
      "_backward",
      [](py::list outputs, py::list gradOutputs, bool retainGraph, bool createGraph) {
        kiln::trace::backward(tensors(outputs), tensors(gradOutputs), retainGraph, createGraph);
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
