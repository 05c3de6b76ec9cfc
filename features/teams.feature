Feature: Teams
  A user can join the team of an administrator (the "master") who has a
  payment method; once the invitation is accepted, the administrator pays for
  what the member does.

  Scenario: An administrator without a payment method cannot invite
    Given the users Alice and Bob were created
    When we invite Alice into Bob's team
    Then the call fails with "user_no_payment"

  Scenario: Inviting without naming the administrator
    Given the user Alice was created
    When we invite Alice into a team without naming its administrator
    Then the call fails with "missing_master_id"

  Scenario: A user cannot join their own team
    Given the user Alice was created
    When we invite Alice into their own team
    Then the call fails with "master_is_user"

  Scenario: Inviting into the team of an administrator no account has
    Given the user Alice was created
    When we invite Alice into the team of the user with id "999999999"
    Then the call fails with "user_not_exist"

  @needs_second_partner
  Scenario: Inviting into the team of an administrator not attached to us
    Given the user Alice was created
    And Dana has an AR24 account that is not attached to us
    When we invite Alice into Dana's team
    Then the call fails with "user_unavailable"

  @out_of_band @needs_no_global_billing
  Scenario: An administrator with a payment method invites a member
    Given the users Alice and Bob were created
    And Bob has added a payment method
    When we invite Alice into Bob's team
    Then the call succeeds
    And Alice cannot pay

  @out_of_band @needs_no_global_billing
  Scenario: A member who accepts the invitation can pay through the administrator
    Given the users Alice and Bob were created
    And Bob has added a payment method
    When we invite Alice into Bob's team
    And Alice accepts the team invitation sent by email
    Then Alice can pay
    And Alice has no payment method of their own

  # Acceptance is seen through is_payment_possible, which global billing
  # turns on from the start: there the wait would end before the member acts.
  @out_of_band @needs_no_global_billing
  Scenario: A member cannot be invited twice into the same team
    Given the users Alice and Bob were created
    And Bob has added a payment method
    And we invite Alice into Bob's team
    And Alice accepts the team invitation sent by email
    When we invite Alice into Bob's team
    Then the call fails with "already_in_team"
