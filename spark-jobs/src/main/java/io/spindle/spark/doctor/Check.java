package io.spindle.spark.doctor;

import java.io.Serializable;

/**
 * One line of {@code spindle doctor}'s table: where it ran (driver or an executor), what was
 * checked, whether it passed, and what was found or what to do.
 */
public record Check(String where, String what, Status status, String detail) implements Serializable {
    public enum Status { OK, WARN, FAIL }

    static Check ok(String where, String what, String detail) {
        return new Check(where, what, Status.OK, detail);
    }

    static Check warn(String where, String what, String detail) {
        return new Check(where, what, Status.WARN, detail);
    }

    static Check fail(String where, String what, String detail) {
        return new Check(where, what, Status.FAIL, detail);
    }
}
