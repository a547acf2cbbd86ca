package io.spindle.layers.ssm;

/** A complex double for the few per-mode formulas of S4D's kernel; the bulk loops use arrays. */
record Complex(double re, double im) {
    Complex plus(Complex o) { return new Complex(re + o.re, im + o.im); }

    Complex minus(Complex o) { return new Complex(re - o.re, im - o.im); }

    Complex times(Complex o) { return new Complex(re * o.re - im * o.im, re * o.im + im * o.re); }

    Complex div(Complex o) {
        double d = o.re * o.re + o.im * o.im;
        return new Complex((re * o.re + im * o.im) / d, (im * o.re - re * o.im) / d);
    }

    Complex conj() { return new Complex(re, -im); }

    Complex scale(double s) { return new Complex(re * s, im * s); }
}
