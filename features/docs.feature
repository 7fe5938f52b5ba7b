@docs
Feature: API description and health check
  As a developer or an operator
  I want a machine-readable description of the API and a quick health check
  So that I can generate clients and know that the platform is up

  @smoke @timing
  Scenario: The health check answers at once
    When I check the platform's health
    Then I am told it is ok, without the response delay

  Scenario: The OpenAPI document describes every endpoint of the contract
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it describes these operations with their answers:
      | method | path              | statuses           |
      | POST   | /orders           | 201, 400, 413, 415 |
      | GET    | /orders           | 200                |
      | GET    | /orders/{orderId} | 200, 404           |
      | DELETE | /orders/{orderId} | 204, 404, 409      |
      | GET    | /health           | 200                |

  Scenario: A client generated from the OpenAPI document makes no HTTP call of the feed
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it describes the order feed for WebSocket clients, not as an HTTP call

  @platform
  Scenario: The OpenAPI document lists every answer to placing an order
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it describes these operations with their answers:
      | method | path    | statuses                     |
      | POST   | /orders | 201, 400, 409, 413, 415, 422 |

  Scenario: The interactive documentation is a web page
    When I open the documentation
    Then I see a web page

  Scenario: The interactive documentation works offline
    When I open the documentation
    Then every script and stylesheet the page needs comes from the platform itself

  @platform
  Scenario: Without scripts, the documentation page still points to the API's description
    When I open the documentation
    Then the page, read without scripts, lists the order operations
    And it links to the OpenAPI document
