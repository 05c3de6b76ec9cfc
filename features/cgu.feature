Feature: Accepting AR24's terms of use (CGU)
  A new user must accept AR24's CGU. The partner asks AR24 to email the user a
  link; the user accepts by following it.

  Scenario: Asking AR24 to send the CGU
    Given the user Alice was created
    When we ask AR24 to send Alice the CGU
    Then the call succeeds
    And Alice has not accepted the CGU

  @out_of_band
  Scenario: The user accepts the CGU sent by email
    Given the user Alice was created
    When we ask AR24 to send Alice the CGU
    And Alice accepts the CGU sent by email
    Then Alice has accepted the CGU

  @out_of_band
  Scenario: The CGU cannot be asked for again once accepted
    Given the user Alice was created
    And we ask AR24 to send Alice the CGU
    And Alice accepts the CGU sent by email
    When we ask AR24 to send Alice the CGU
    Then the call fails with "cgu_already_accepted"

  Scenario: Asking the CGU of an id no account has
    When we ask AR24 to send the CGU to the user with id "999999999"
    Then the call fails with "user_not_exist"

  Scenario: Asking the CGU without saying for whom
    When we ask AR24 to send the CGU to the user with id ""
    Then the call fails with "missing_user_id"
