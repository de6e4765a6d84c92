"""Python functions used as steps of mixed_r.R."""


def featurize(self):
    self.doubled = [2 * x for x in self.values]
    self.language = "Python"
