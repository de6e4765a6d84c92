"""Python steps of opaque.R."""

from fractions import Fraction


def make_ratio(self):
    self.ratio = Fraction(1, 3)


def inspect(self):
    self.ratio_is_back = self.ratio_again == Fraction(1, 3)
    self.fit_repr = repr(self.fit)
    self.fit_again = self.fit
