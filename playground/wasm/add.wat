;; add(a, b) -> a + b: a module without imports, called from the page.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
